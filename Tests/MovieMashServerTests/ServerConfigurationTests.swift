import EventLog
import Foundation
import MovieMashCore
import MovieMashServer
import Testing
import TestSupport

@Suite struct ServerConfigurationTests {
    @Test func flagsOverrideTheEnvironmentWhichOverridesTheFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try #"{"data": "/from/file", "port": 7001, "host": "10.0.0.1", "snapshotDir": "/file/snapshots", "fsync": "never"}"#
            .write(toFile: directory.file("settings.json"), atomically: true, encoding: .utf8)
        let configuration = try await ServerConfiguration.load(
            arguments: ["--config", directory.file("settings.json"), "--port=7003", "--voter-limit", "2/4"],
            environment: ["MOVIEMASH_PORT": "7002", "MOVIEMASH_HOST": "10.0.0.2", "MOVIEMASH_SNAPSHOT_DIR": "/env/snapshots"])
        #expect(configuration.data == "/from/file")
        #expect(configuration.gateway.port == 7003)
        #expect(configuration.gateway.host == "10.0.0.2")
        #expect(configuration.snapshotDirectory == "/env/snapshots")
        #expect(configuration.log.fsync == .never)
        #expect(configuration.gateway.perVoter.perSecond == 2 && configuration.gateway.perVoter.burst == 4)
        #expect(configuration.role == .primary)
    }

    @Test func aReplicaNeedsItsEventsAndNoLogAndForwardsToItsWriterOrTheLeaseHolder() async throws {
        let replica = try await ServerConfiguration.load(
            arguments: ["--role", "replica", "--events", "postgres://replica@standby:5432/moviemash", "--writer", "http://writer:8080/"],
            environment: [:])
        #expect(replica.role == .replica && replica.events?.redacted.contains("standby") == true)
        #expect(await replica.writer?.writer() == "http://writer:8080")
        let leased = try await ServerConfiguration.load(arguments: ["--role", "replica", "--events", "postgres://r@s/db"], environment: [:])
        #expect(leased.writer == nil, "no fixed writer: writes go to the lease's holder")
        let cases: [([String], String, String)] = [
            (["--role", "replica", "--writer", "http://w:1"], "events", "needs --events"),
            (["--role", "replica", "--events", "postgres://r@s/db", "--writer", "ftp://w"], "writer", "not an http(s)"),
            (["--role", "replica", "--data", "/log", "--events", "postgres://r@s/db", "--writer", "http://w:1"], "data", "no log of its own"),
            (["--data", "/log", "--writer", "http://w:1"], "role", "add --role replica"),
        ]
        for (arguments, setting, message) in cases {
            let error = await #expect(throws: ConfigurationError.self) {
                _ = try await ServerConfiguration.load(arguments: arguments, environment: [:])
            }
            #expect(error?.setting == setting && error?.message.contains(message) == true, "\(arguments): \(String(describing: error))")
        }
    }

    @Test func aStandbyWriterNeedsReplicatedDurabilityAPostgresAndAnAddressOthersReach() async throws {
        let standby = try await ServerConfiguration.load(
            arguments: ["--role", "standby-writer", "--data", "/log", "--postgres", "postgres://w@primary/db", "--durability", "replicated",
                        "--port", "8081", "--lease-duration", "3", "--lease-renew-interval", "0.5"],
            environment: [:])
        #expect(standby.role == .standbyWriter && standby.advertise == "http://127.0.0.1:8081")
        #expect(standby.lease.duration == .seconds(3) && standby.lease.renewInterval == .milliseconds(500))
        let cases: [([String], String, String)] = [
            (["--role", "standby-writer", "--data", "/log", "--postgres", "postgres://w@p/db"], "durability", "needs --durability replicated"),
            (["--role", "standby-writer", "--data", "/log", "--durability", "replicated"], "durability", "give --postgres"),
            (["--role", "standby-writer", "--postgres", "postgres://w@p/db", "--durability", "replicated"], "data", "give --data"),
            (["--role", "standby-writer", "--data", "/log", "--postgres", "postgres://w@p/db", "--durability", "replicated", "--port", "0"],
             "advertise", "not an http(s)://host:port"),
            (["--role", "standby-writer", "--data", "/log", "--postgres", "postgres://w@p/db", "--durability", "replicated", "--lease-duration", "1",
              "--lease-renew-interval", "0.8"], "leaseRenewInterval", "renew at most every half lease"),
            (["--data", "/log", "--lease-duration", "5"], "role", "add --role standby-writer"),
            (["--role", "standby-writer", "--data", "/log", "--postgres", "postgres://w@p/db", "--durability", "replicated", "--scrape", "on"],
             "scrape", "only a primary scrapes"),
        ]
        for (arguments, setting, message) in cases {
            let error = await #expect(throws: ConfigurationError.self) {
                _ = try await ServerConfiguration.load(arguments: arguments, environment: [:])
            }
            #expect(error?.setting == setting && error?.message.contains(message) == true, "\(arguments): \(String(describing: error))")
        }
    }

    @Test func scrapingIsOffUnlessAskedForAndTakesItsSettings() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await ServerConfiguration.load(arguments: ["--data", "/log"], environment: [:]).scrape == nil)
        #expect(try await ServerConfiguration.load(arguments: ["--data", "/log", "--scrape", "off"], environment: [:]).scrape == nil)
        try "davehehe  # a friend\n\n# nobody\nkarsten\n".write(toFile: directory.file("users.txt"), atomically: true, encoding: .utf8)
        let scrape = try #require(try await ServerConfiguration.load(
            arguments: ["--data", "/srv/log/", "--scrape-users", directory.file("users.txt"), "--scrape-refresh-hours", "24", "--scrape-rate", "0.25",
                        "--scrape-request-limit", "3/40", "--letterboxd-url", "http://127.0.0.1:9/"],
            environment: [:]).scrape)
        #expect(scrape.users == ["davehehe", "karsten"])
        #expect(scrape.schedule.refreshInterval == .seconds(86_400) && scrape.fetcher.requestsPerSecond == 0.25)
        #expect(scrape.schedule.requestsPerVoter == 3 && scrape.schedule.requestsOverall == 40)
        #expect(scrape.fetcher.baseURL == "http://127.0.0.1:9" && scrape.fetcher.cacheDirectory == "/srv/log.scrape-cache")
        let replica = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(
                arguments: ["--role", "replica", "--events", "postgres://r@s/db", "--writer", "http://w:1", "--scrape", "on"], environment: [:])
        }
        #expect(replica?.setting == "scrape")
    }

    @Test func defaultsHoldWhenNothingIsSet() async throws {
        let configuration = try await ServerConfiguration.load(arguments: ["--data", "/log"], environment: [:])
        #expect(configuration.gateway.port == 8080 && configuration.gateway.host == "127.0.0.1")
        #expect(configuration.log.fsync == .always)
        #expect(configuration.snapshotDirectory == nil && configuration.postgres == nil && configuration.signingKeys == nil)
    }

    @Test(arguments: [
        (["--port", "70000"], "port"), (["--fsync", "sometimes"], "fsync"), (["--address-limit", "fast"], "addressLimit"),
        (["--role", "leader"], "role"), (["--jwt-keys", "k:short"], "jwtKeys"), (["--tls-key", "/k.pem"], "tlsCertificate"),
        (["--postgres", "mysql://x"], "postgres"), (["--config", "/no/such/file.json"], "config"),
        (["--log-level", "chatty"], "logLevel"), (["--scrape", "sometimes"], "scrape"), (["--scrape", "on", "--scrape-rate", "0"], "scrapeRate"),
        (["--scrape-users", "/no/such/users.txt"], "scrapeUsers"), (["--scrape", "on", "--scrape-request-limit", "10"], "scrapeRequestLimit"),
        (["--scrape", "on", "--letterboxd-url", "letterboxd.com"], "letterboxdUrl"), (["--scrape", "on", "--scrape-refresh-hours", "0"], "scrapeRefreshHours"),
    ])
    func anUnusableSettingIsAnErrorThatNamesIt(arguments: [String], setting: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(arguments: ["--data", "/log"] + arguments, environment: [:])
        }
        #expect(error?.setting == setting)
    }

    @Test func aMissingDataDirectoryAndAnUnknownFlagAreRefused() async throws {
        let missing = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(arguments: [], environment: [:])
        }
        #expect(missing?.setting == "data")
        let unknown = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(arguments: ["--data", "/log", "--snapshots", "/s"], environment: [:])
        }
        #expect(unknown?.message.contains("unknown option --snapshots") == true)
    }

    @Test func theFormerSnapshotVariableIsRefusedWithItsNewName() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(arguments: ["--data", "/log"], environment: ["MOVIEMASH_SNAPSHOTS": "/s"])
        }
        #expect(error?.message.contains("MOVIEMASH_SNAPSHOT_DIR") == true)
    }

    @Test func aNumberInTheFileIsReadAsTheSetting() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try #"{"data": "/log", "port": 7001}"#.write(toFile: directory.file("settings.json"), atomically: true, encoding: .utf8)
        let configuration = try await ServerConfiguration.load(arguments: [], environment: ["MOVIEMASH_CONFIG": directory.file("settings.json")])
        #expect(configuration.gateway.port == 7001)
    }

    @Test func secretsAreNotRepeatedInErrors() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await ServerConfiguration.load(arguments: ["--data", "/log", "--jwt-keys", "k1:tiny-secret"], environment: [:])
        }
        #expect(error?.description.contains("tiny-secret") == false)
    }

    @Test func everySettingHasAFlagAndAnEnvironmentVariableOfItsKey() {
        let snapshot = ServerConfiguration.settings.first { $0.key == "snapshotDir" }!
        #expect(snapshot.flag == "--snapshot-dir" && snapshot.environmentVariable == "MOVIEMASH_SNAPSHOT_DIR")
        #expect(Set(ServerConfiguration.settings.map(\.key)).count == ServerConfiguration.settings.count)
        for setting in ServerConfiguration.settings { #expect(ServerConfiguration.help.contains(setting.flag)) }
    }

    @Test func theLogLevelComesFromTheFlagOrTheEnvironment() async throws {
        #expect(try await ServerConfiguration.load(arguments: ["--data", "/log"], environment: [:]).logLevel == .info)
        #expect(try await ServerConfiguration.load(arguments: ["--data", "/log"], environment: ["MOVIEMASH_LOG_LEVEL": "DEBUG"]).logLevel == .debug)
        #expect(try await ServerConfiguration.load(
            arguments: ["--data", "/log", "--log-level", "warning"], environment: ["MOVIEMASH_LOG_LEVEL": "debug"]).logLevel == .warning)
    }
}
