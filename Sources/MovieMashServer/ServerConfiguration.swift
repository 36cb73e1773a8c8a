import Configuration
import EventLog
import Foundation
import Logging
import Gateway
import MovieMashCore
import PostgresMirror
import Scraper

/// Everything a node is configured with, read through one swift-configuration `ConfigReader`: command-line
/// flags first, then `MOVIEMASH_…` environment variables, then the files of a credentials directory, then
/// a JSON file named by `--config`.
///
/// Each setting is described once, in `settings`; the command's help, the README and the errors all use
/// those descriptions.
public struct ServerConfiguration: Sendable {
    /// One setting: its key (`snapshotDir`), which is also its flag (`--snapshot-dir`), its environment
    /// variable (`MOVIEMASH_SNAPSHOT_DIR`) and its name in the configuration file.
    public struct Setting: Sendable {
        public var key: String
        public var value: String
        public var help: String
        public var isSecret = false

        public var flag: String {
            "--" + key.reduce(into: "") { text, character in
                if character.isUppercase { text += "-" }
                text += character.lowercased()
            }
        }

        public var environmentVariable: String { "MOVIEMASH_" + flag.dropFirst(2).uppercased().replacingOccurrences(of: "-", with: "_") }
    }

    /// Every setting a node reads.
    public static let settings: [Setting] = [
        Setting(key: "config", value: "FILE", help: "A JSON file of settings, keyed as below (flags, the environment and --credentials-dir override it)."),
        Setting(
            key: "credentialsDir", value: "DIR",
            help: "A directory of secrets, one file per setting named by its key (postgres, events, jwtKeys), as systemd's LoadCredential= makes: no secret on the command line or in the environment (default $CREDENTIALS_DIRECTORY when set)."),
        Setting(
            key: "role", value: "ROLE",
            help: "primary (default): this node owns the log; standby-writer: it keeps a log in step with --postgres's events table and becomes the writer when the writer lease ends (replicated durability); replica: it builds everything from --events and forwards writes to the writer."),
        Setting(key: "data", value: "DIR", help: "The log directory (created if missing). Required for a primary."),
        Setting(key: "events", value: "URL", help: "A replica's events: a PostgreSQL database (a hot standby of the writer's mirror) whose events table it tails.", isSecret: true),
        Setting(
            key: "writer", value: "URL",
            help: "A replica's writer node (http://host:port), where it forwards registrations and votes unchanged; without it, to whichever node holds the writer lease in --events."),
        Setting(key: "advertise", value: "URL", help: "A standby writer's own address (http://host:port) as other nodes reach it: replicas forward writes there while it holds the lease (default http://HOST:PORT)."),
        Setting(key: "leaseDuration", value: "SECONDS", help: "A standby writer's lease lasts this long once taken or renewed: the longest writes wait after the writer is lost (default 2)."),
        Setting(key: "leaseRenewInterval", value: "SECONDS", help: "The lease holder renews, and standby writers look for an ended lease, this often; at most half the lease (default 0.4)."),
        Setting(key: "host", value: "ADDRESS", help: "Address to listen on (default 127.0.0.1)."),
        Setting(key: "port", value: "PORT", help: "Port to listen on, 0…65535 (default 8080; 0 picks a free one)."),
        Setting(
            key: "adminPort", value: "PORT",
            help: "Serve /metrics (and /health, /ready) on this port too, for operators and Prometheus, and no longer /metrics on --port (none by default)."),
        Setting(key: "adminHost", value: "ADDRESS", help: "Address of the --admin-port listener (default 127.0.0.1)."),
        Setting(key: "snapshotDir", value: "DIR", help: "Directory for projector snapshots (none when absent)."),
        Setting(
            key: "snapshotAge", value: "SECONDS",
            help: "A projection with events since its last snapshot writes one after this long (default 60), besides every 100000 events (or as many as the last snapshot covered, if more): what a crashed node replays at most at the live end."),
        Setting(
            key: "keyStore", value: "DIR",
            help: "A primary's key store: one key per voter that seals their personal data, destroyed when they erase their account (default: DATA.keys beside the log, never inside it). Back it up on its own, shorter schedule."),
        Setting(key: "postgres", value: "URL", help: "Mirror the log into this PostgreSQL database (none when absent).", isSecret: true),
        Setting(key: "fsync", value: "POLICY", help: "always (default), never or interval:MS: when appends are synced before they are acknowledged."),
        Setting(
            key: "durability", value: "MODE",
            help: "local (default): a write is acknowledged once durable in the log (per --fsync); replicated: also once committed in --postgres (and, with synchronous_standby_names there, on a standby)."),
        Setting(key: "replicationTimeout", value: "SECONDS", help: "With replicated durability, how long a write waits for PostgreSQL before it is answered 503 replication-pending (default 5)."),
        Setting(key: "derivedInterval", value: "SECONDS", help: "With --postgres, how often the writer copies its newest fit and factor model into the derived schema for analysts (default 3600)."),
        Setting(key: "positionWait", value: "SECONDS", help: "How long a request asking for MovieMash-Min-Position waits for this node to reach it before 503 stale-replica (default 2)."),
        Setting(key: "trustedProxies", value: "LIST", help: "Addresses of proxies (HAProxy, replicas) whose X-Forwarded-For names the client for the per-address limit, comma-separated."),
        Setting(key: "tlsCertificate", value: "FILE", help: "PEM certificate chain: serve HTTPS (with --tls-key)."),
        Setting(key: "tlsKey", value: "FILE", help: "PEM private key of --tls-certificate."),
        Setting(key: "corsOrigins", value: "LIST", help: "Web origins allowed to call the API (CORS), comma-separated."),
        Setting(
            key: "jwtKeys", value: "KID:SECRET,…",
            help: "Signing keys for tokens and tickets (the first signs, all verify; secrets ≥ 32 bytes). Without them a random key is made and tokens end with the process.",
            isSecret: true),
        Setting(
            key: "minFreeBytes", value: "BYTES",
            help: "Appends are refused (and resume by themselves) while the log's file system has less free space than this, so segment rolls, indexes and snapshots never meet a full disk (default 67108864, 64 MiB)."),
        Setting(key: "logLevel", value: "LEVEL", help: LogLevel.help),
        Setting(key: "logFormat", value: "FORMAT", help: LogFormat.help),
        Setting(key: "readyMaxLagEvents", value: "N", help: "Ready while every projection is at most this many events behind the log (default 10000)."),
        Setting(key: "readyMaxLagSeconds", value: "SECONDS", help: "… and its oldest unapplied event is at most this old (default 5)."),
        Setting(key: "readyMaxFitLagSeconds", value: "SECONDS", help: "/ready says degraded (still 200) while the served Bradley–Terry fit's oldest uncovered event is older than this (default 30)."),
        Setting(key: "requestHeadTimeout", value: "SECONDS", help: "A new connection must send a complete request head within this time, else 408 and closed (default 10)."),
        Setting(key: "idleTimeout", value: "SECONDS", help: "A kept-alive connection, or a request body, may be silent this long before it is closed (default 60)."),
        Setting(key: "maxConnections", value: "N", help: "Connections open at once; beyond it a new one gets 503 and is closed (default 4096)."),
        Setting(key: "addressLimit", value: "RATE/BURST", help: "Requests per client address per second / at once, all routes (default 200/400)."),
        Setting(key: "voterLimit", value: "RATE/BURST", help: "Comparisons and votes per voter (default 5/20)."),
        Setting(key: "accountLimit", value: "RATE/BURST", help: "Password changes, erasures, sign-outs, exports and Letterboxd claims per voter (default 0.2/5)."),
        Setting(
            key: "passwordChecksPerAddress", value: "N",
            help: "Password checks (bcrypt: sign-ins, registrations, changes) one client address may hold at once, running or waiting; beyond, 429 at once (default 1)."),
        Setting(
            key: "scrape", value: "on|off",
            help: "on: a primary keeps every Letterboxd user the log knows fresh (and those voters claim), and reads the profiles voters ask for (POST /api/letterboxd-users); off (default)."),
        Setting(key: "scrapeUsers", value: "FILE", help: "Letterboxd usernames to keep fresh as well, one per line (# comments); implies --scrape on."),
        Setting(key: "scrapeRefreshHours", value: "HOURS", help: "Each profile is read again this often, the reads spread evenly over it (default 168, a week)."),
        Setting(key: "scrapeRate", value: "REQUESTS/S", help: "Requests per second to Letterboxd at most, for the whole process (default 0.5); slower while it answers 429."),
        Setting(key: "scrapeRequestLimit", value: "VOTER/ALL", help: "Profiles one voter / all voters together may ask for per day (default 10/500)."),
        Setting(key: "scrapeCache", value: "DIR", help: "Where film pages are cached for 30 days (default: DATA.scrape-cache beside the log)."),
        Setting(key: "letterboxdUrl", value: "URL", help: "Where Letterboxd is (default https://letterboxd.com; a mirror or a test server)."),
    ]

    /// The settings as help text: flag, environment variable and description of each.
    public static var help: String {
        settings.map { "\($0.flag) \($0.value)  [\($0.environmentVariable)]\n    \($0.help)" }.joined(separator: "\n")
    }

    public var role: Role = .primary
    /// The log directory; a replica has none.
    public var data: String
    public var log = EventLog.Configuration()
    public var gateway = GatewayApplication.Configuration()
    public var snapshotDirectory: String?
    public var snapshotAge: Duration = .seconds(60)
    /// Where a primary keeps personal data's keys; nil: `data` + `.keys`.
    public var keyStore: String?
    public var postgres: PostgresURL?
    /// How far behind a projection may be while `/ready` says ready.
    public var readiness = ReadinessBounds()
    /// A replica's source of events.
    public var events: PostgresURL?
    /// Where a replica forwards writes: nil, to the lease holder.
    public var writer: WriteForwarding?
    /// How other nodes reach a standby writer.
    public var advertise: String?
    /// A standby writer's lease.
    public var lease = try! LeaseCycle<ContinuousClock.Instant>.Settings()
    /// When a write is acknowledged.
    public var durability: Durability = .local
    /// How long a replicated write waits for PostgreSQL.
    public var replicationTimeout: Duration = .seconds(5)
    /// How long a request waits to reach the position it asks for.
    public var positionWait: Duration = .seconds(2)
    /// How often the writer copies its newest fit and model into PostgreSQL's `derived` schema.
    public var derivedInterval: Duration = .seconds(3600)
    /// The least severe level the node logs.
    public var logLevel = Logger.Level.info
    /// How the node's log lines look.
    public var logFormat = LogFormat.text
    /// Nil: sign with a random key made at start.
    public var signingKeys: SigningKeys?
    /// How a primary scrapes Letterboxd; nil: it does not.
    public var scrape: ScrapeConfiguration?

    public init(data: String) {
        self.data = data
    }

    /// The key store's directory: the one configured, else beside the log.
    public var keyStoreDirectory: String {
        keyStore ?? ((data.hasSuffix("/") ? String(data.dropLast()) : data) + ".keys")
    }

    /// Reads every setting from `reader`; the first unusable one is the error.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        func text(_ key: String) -> String? {
            let isSecret = Self.settings.first { $0.key == key }?.isSecret ?? false
            return reader.string(forKey: ConfigKey(key), isSecret: isSecret) ?? reader.int(forKey: ConfigKey(key)).map(String.init)
        }
        func parsed<Value>(_ key: String, _ parse: (String) -> Value?) throws(ConfigurationError) -> Value? {
            guard let value = text(key) else { return nil }
            guard let parsed = parse(value) else {
                let setting = Self.settings.first { $0.key == key }!
                throw ConfigurationError("'\(setting.isSecret ? "…" : value)' is not \(setting.value): \(setting.help)", setting: key)
            }
            return parsed
        }
        let role = try parsed("role", Role.init(rawValue:)) ?? .primary
        switch (role, text("data")) {
        case (.primary, nil), (.standbyWriter, nil): throw ConfigurationError("give --data DIR (or MOVIEMASH_DATA)", setting: "data")
        case (.replica, let data?): throw ConfigurationError("a replica has no log of its own: drop --data \(data) or use --role primary", setting: "data")
        case (_, let data): self.init(data: data ?? "")
        }
        self.role = role
        if let url = text("events") {
            do { events = try PostgresURL(url) } catch { throw ConfigurationError("\(error)", setting: "events") }
        }
        if let writer = text("writer") {
            guard let url = URL(string: writer), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError("'\(writer)' is not an http(s)://host:port URL of the writer", setting: "writer")
            }
            self.writer = WriteForwarding(writer: writer)
        }
        if role == .replica {
            guard events != nil else { throw ConfigurationError("a replica needs --events URL: the database whose events table it tails", setting: "events") }
        } else if events != nil || writer != nil {
            throw ConfigurationError("--events and --writer are a replica's settings; add --role replica", setting: "role")
        }
        gateway.host = text("host") ?? gateway.host
        gateway.port = try parsed("port") { Int($0).flatMap { (0...65_535).contains($0) ? $0 : nil } } ?? gateway.port
        if let port = try parsed("adminPort", { Int($0).flatMap { (0...65_535).contains($0) ? $0 : nil } }) {
            gateway.admin = (text("adminHost") ?? "127.0.0.1", port)
        } else if text("adminHost") != nil {
            throw ConfigurationError("--admin-host names where --admin-port listens: give --admin-port too", setting: "adminHost")
        }
        log.fsync = try parsed("fsync", EventLog.FsyncPolicy.init) ?? log.fsync
        snapshotDirectory = text("snapshotDir")
        keyStore = text("keyStore")
        if role == .replica, keyStore != nil {
            throw ConfigurationError("a replica holds no keys (the writer opens personal data): drop --key-store", setting: "keyStore")
        }
        if let url = text("postgres") {
            do { postgres = try PostgresURL(url) } catch { throw ConfigurationError("\(error)", setting: "postgres") }
        }
        switch (text("tlsCertificate"), text("tlsKey")) {
        case (let certificate?, let key?): gateway.tls = (certificate, key)
        case (nil, nil): break
        default: throw ConfigurationError("--tls-certificate and --tls-key go together", setting: "tlsCertificate")
        }
        /// A comma-separated setting's entries, blanks dropped.
        func list(_ key: String) -> Set<String>? {
            text(key).map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }
        }
        gateway.allowedOrigins = list("corsOrigins") ?? gateway.allowedOrigins
        if let keys = text("jwtKeys") { signingKeys = try SigningKeys(parsing: keys) }
        func seconds(_ key: String) throws(ConfigurationError) -> Duration? {
            try parsed(key) { Double($0).flatMap { $0 > 0 && $0 <= 86_400 ? Duration.milliseconds(Int64(($0 * 1000).rounded())) : nil } }
        }
        log.minimumFreeBytes = try parsed("minFreeBytes") { Int64($0).flatMap { $0 >= 0 ? $0 : nil } } ?? log.minimumFreeBytes
        logLevel = try parsed("logLevel", LogLevel.parse) ?? logLevel
        logFormat = try parsed("logFormat") { LogFormat(rawValue: $0.lowercased()) } ?? logFormat
        readiness.maximumLagEvents = try parsed("readyMaxLagEvents") { UInt64($0) } ?? readiness.maximumLagEvents
        readiness.maximumLagSeconds = try parsed("readyMaxLagSeconds") { Double($0).flatMap { $0 >= 0 ? $0 : nil } } ?? readiness.maximumLagSeconds
        readiness.maximumFitLagSeconds = try parsed("readyMaxFitLagSeconds") { Double($0).flatMap { $0 >= 0 ? $0 : nil } } ?? readiness.maximumFitLagSeconds
        gateway.connections.requestHeadTimeout = try seconds("requestHeadTimeout") ?? gateway.connections.requestHeadTimeout
        gateway.connections.idleTimeout = try seconds("idleTimeout") ?? gateway.connections.idleTimeout
        gateway.connections.maximumConnections = try parsed("maxConnections") { Int($0).flatMap { $0 > 0 ? $0 : nil } } ?? gateway.connections.maximumConnections
        durability = try parsed("durability", Durability.init(rawValue:)) ?? durability
        if durability == .replicated, role != .replica, postgres == nil {
            throw ConfigurationError("replicated durability waits for PostgreSQL: give --postgres URL", setting: "durability")
        }
        if role == .standbyWriter {
            guard durability == .replicated else {
                throw ConfigurationError(
                    "a standby writer needs --durability replicated: with local, the writer acknowledges votes PostgreSQL may not hold yet, and a standby taking over would lose them",
                    setting: "durability")
            }
            let address = text("advertise") ?? "http://\(gateway.host):\(gateway.port)"
            guard let url = URL(string: address), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.port != 0 else {
                throw ConfigurationError("'\(address)' is not an http(s)://host:port URL other nodes reach this one by", setting: "advertise")
            }
            advertise = address
            lease = try LeaseCycle.Settings(
                duration: try seconds("leaseDuration") ?? lease.duration, renewInterval: try seconds("leaseRenewInterval") ?? lease.renewInterval)
        } else if text("advertise") != nil || text("leaseDuration") != nil || text("leaseRenewInterval") != nil {
            throw ConfigurationError("--advertise and the lease settings are a standby writer's; add --role standby-writer", setting: "role")
        }
        replicationTimeout = try seconds("replicationTimeout") ?? replicationTimeout
        positionWait = try seconds("positionWait") ?? positionWait
        derivedInterval = try seconds("derivedInterval") ?? derivedInterval
        snapshotAge = try seconds("snapshotAge") ?? snapshotAge
        gateway.trustedProxies = list("trustedProxies") ?? gateway.trustedProxies
        gateway.perAddress = try parsed("addressLimit", RateLimiter.Limit.init) ?? gateway.perAddress
        gateway.perVoter = try parsed("voterLimit", RateLimiter.Limit.init) ?? gateway.perVoter
        gateway.perAccount = try parsed("accountLimit", RateLimiter.Limit.init) ?? gateway.perAccount
        gateway.passwordChecksPerAddress = try parsed("passwordChecksPerAddress") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
            ?? gateway.passwordChecksPerAddress
        try readScrape(text: text, parsed: parsed)
    }

    /// The `scrape…` settings.
    private mutating func readScrape(
        text: (String) -> String?, parsed: (String, (String) -> Double?) throws(ConfigurationError) -> Double?
    ) throws(ConfigurationError) {
        let mode = text("scrape")
        guard mode == "on" || text("scrapeUsers") != nil else {
            guard mode == nil || mode == "off" else { throw ConfigurationError("'\(mode!)' is not on or off", setting: "scrape") }
            return
        }
        guard role == .primary else {
            throw ConfigurationError("only a primary scrapes: a replica never appends, and standby writers take turns", setting: "scrape")
        }
        var scrape = ScrapeConfiguration()
        if let file = text("scrapeUsers") {
            do { scrape.users = try ScrapeConfiguration.users(inFile: file) } catch { throw ConfigurationError("\(error)", setting: "scrapeUsers") }
        }
        if let hours = try parsed("scrapeRefreshHours", { Double($0).flatMap { $0 > 0 && $0 <= 24 * 366 ? $0 : nil } }) {
            scrape.schedule.refreshInterval = .milliseconds(Int64((hours * 3_600_000).rounded()))
        }
        scrape.fetcher.requestsPerSecond = try parsed("scrapeRate", { Double($0).flatMap { $0 > 0 && $0 <= 1000 ? $0 : nil } }) ?? scrape.fetcher.requestsPerSecond
        if let limits = text("scrapeRequestLimit") {
            let parts = limits.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
                throw ConfigurationError("'\(limits)' is not VOTER/ALL, two positive whole numbers", setting: "scrapeRequestLimit")
            }
            (scrape.schedule.requestsPerVoter, scrape.schedule.requestsOverall) = (parts[0], parts[1])
        }
        scrape.fetcher.cacheDirectory = text("scrapeCache") ?? ((data.hasSuffix("/") ? String(data.dropLast()) : data) + ".scrape-cache")
        if let url = text("letterboxdUrl") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ConfigurationError("'\(url)' is not an http(s) URL", setting: "letterboxdUrl")
            }
            scrape.fetcher.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        self.scrape = scrape
    }

    /// The configuration of `arguments` (flags, as `--key value` or `--key=value`), `environment` and the
    /// JSON file that `--config` or `MOVIEMASH_CONFIG` names, in that order of precedence. A flag that is
    /// not a setting is an error, not silently ignored.
    public static func load(arguments: [String], environment: [String: String]) async throws(ConfigurationError) -> ServerConfiguration {
        let flags = Set(settings.map(\.flag))
        for argument in arguments where argument.hasPrefix("-") {
            let flag = String(argument.prefix { $0 != "=" })
            guard flags.contains(flag) else {
                throw ConfigurationError("unknown option \(flag); the settings are:\n\(help)")
            }
        }
        // The variable's name before settings were named after their keys: refused, not silently ignored,
        // so a node deployed with it does not start without its snapshots.
        if environment["MOVIEMASH_SNAPSHOTS"] != nil {
            throw ConfigurationError("MOVIEMASH_SNAPSHOTS is now MOVIEMASH_SNAPSHOT_DIR (as --snapshot-dir)", setting: "snapshotDir")
        }
        let secrets = Set(settings.filter(\.isSecret).map(\.environmentVariable))
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: ["serve"] + arguments, secretsSpecifier: .specific(Set(settings.filter(\.isSecret).map(\.flag)))),
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secrets)).prefixKeys(with: "moviemash"),
        ]
        let early = ConfigReader(providers: providers)
        if let directory = early.string(forKey: "credentialsDir") ?? environment["CREDENTIALS_DIRECTORY"] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError("there is no directory \(directory)", setting: "credentialsDir")
            }
            do {
                providers.append(try await DirectoryFilesProvider(directoryPath: .init(directory)))
            } catch {
                throw ConfigurationError("cannot read the credentials in \(directory): \(error)", setting: "credentialsDir")
            }
        }
        if let file = early.string(forKey: "config") {
            guard FileManager.default.fileExists(atPath: file) else { throw ConfigurationError("there is no file \(file)", setting: "config") }
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(file)))
            } catch {
                throw ConfigurationError("\(file) is not a JSON object of settings: \(error)", setting: "config")
            }
        }
        return try ServerConfiguration(reader: ConfigReader(providers: providers))
    }
}

/// What a node is, which decides its wiring.
public enum Role: String, Sendable {
    /// The writer: it owns the local log, appends, mirrors into PostgreSQL and serves reads.
    case primary
    /// A writer-capable node: it keeps a log in step with PostgreSQL's `events` table and serves reads
    /// from it; when the writer lease ends it takes it and becomes the writer, with no restore.
    case standbyWriter = "standby-writer"
    /// A read node: no log; its projections and recommender come from a PostgreSQL `events` table (a hot
    /// standby's), and it forwards writes to the writer.
    case replica
}

/// When a write is acknowledged.
public enum Durability: String, Sendable {
    /// Once durable in the writer's log (under its fsync policy).
    case local
    /// Once also committed in PostgreSQL, and so on a synchronous standby when the primary has one.
    case replicated
}
