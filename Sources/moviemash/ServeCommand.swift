import ArgumentParser
import EventLog
import Foundation
import Gateway
import Logging
import PostgresMirror
import Projections
import ServiceLifecycle

/// `moviemash serve`: the running service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run MovieMash: the log, the projections, the recommender, the optional PostgreSQL mirror and the HTTP gateway.",
        discussion: """
            Every option can also come from the environment: MOVIEMASH_DATA, MOVIEMASH_HOST, MOVIEMASH_PORT, \
            MOVIEMASH_SNAPSHOTS, MOVIEMASH_POSTGRES, MOVIEMASH_FSYNC, MOVIEMASH_JWT_KEYS, MOVIEMASH_CORS_ORIGINS, MOVIEMASH_ADDRESS_LIMIT, MOVIEMASH_VOTER_LIMIT, MOVIEMASH_TLS_CERTIFICATE, MOVIEMASH_TLS_KEY. SIGTERM or SIGINT stops \
            accepting requests, lets those in flight finish, flushes and closes the log.
            """)

    @Option(help: "The log directory (created if missing). [MOVIEMASH_DATA]") var data: String?
    @Option(help: "Address to listen on. [MOVIEMASH_HOST]") var host: String?
    @Option(help: "Port to listen on. [MOVIEMASH_PORT]") var port: Int?
    @Option(help: "Directory for projector snapshots (none when absent). [MOVIEMASH_SNAPSHOTS]") var snapshotDir: String?
    @Option(help: "Mirror the log into this PostgreSQL database (none when absent). [MOVIEMASH_POSTGRES]") var postgres: String?
    @Option(help: "always, never or interval:MS. [MOVIEMASH_FSYNC]") var fsync: EventLog.FsyncPolicy?
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key). [MOVIEMASH_TLS_CERTIFICATE]") var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate. [MOVIEMASH_TLS_KEY]") var tlsKey: String?
    @Option(help: "Web origins allowed to call the API (CORS), comma-separated. [MOVIEMASH_CORS_ORIGINS]") var corsOrigins: String?
    @Option(help: "Signing keys for tokens and tickets, KID:SECRET,… (first signs; secrets ≥ 32 bytes). Without them a random key is made and tokens do not survive a restart. [MOVIEMASH_JWT_KEYS]")
    var jwtKeys: String?
    @Option(help: "Requests per client address, RATE/BURST (per second / at once), all routes. [MOVIEMASH_ADDRESS_LIMIT]")
    var addressLimit: RateLimiter.Limit?
    @Option(help: "Comparisons and votes per voter, RATE/BURST. [MOVIEMASH_VOTER_LIMIT]") var voterLimit: RateLimiter.Limit?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let data = data ?? environment["MOVIEMASH_DATA"] else { throw ValidationError("give --data or MOVIEMASH_DATA") }
        var gateway = GatewayApplication.Configuration()
        gateway.host = host ?? environment["MOVIEMASH_HOST"] ?? gateway.host
        if let port = try setting(port, "MOVIEMASH_PORT", flag: "--port") {
            guard (0...65_535).contains(port) else { throw ValidationError("the port must be 0…65535") }
            gateway.port = port
        }
        if let origins = corsOrigins ?? environment["MOVIEMASH_CORS_ORIGINS"] {
            gateway.allowedOrigins = Set(origins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        gateway.perAddress = try setting(addressLimit, "MOVIEMASH_ADDRESS_LIMIT", flag: "--address-limit") ?? gateway.perAddress
        gateway.perVoter = try setting(voterLimit, "MOVIEMASH_VOTER_LIMIT", flag: "--voter-limit") ?? gateway.perVoter
        switch (tlsCertificate ?? environment["MOVIEMASH_TLS_CERTIFICATE"], tlsKey ?? environment["MOVIEMASH_TLS_KEY"]) {
        case (let certificate?, let key?): gateway.tls = (certificate, key)
        case (nil, nil): break
        default: throw ValidationError("--tls-certificate and --tls-key go together")
        }
        var logConfiguration = EventLog.Configuration()
        if let policy = try setting(fsync, "MOVIEMASH_FSYNC", flag: "--fsync") {
            logConfiguration.fsync = policy
        }
        let postgresURL = try (postgres ?? environment["MOVIEMASH_POSTGRES"]).map { try PostgresURL($0) }
        let snapshots = (snapshotDir ?? environment["MOVIEMASH_SNAPSHOTS"]).map { SnapshotStore(directory: $0) }

        let logger = Logger(label: "moviemash") { DeferredMetadataLogHandler(StreamLogHandler.standardOutput(label: $0)) }
        let keys: SigningKeys
        if let text = jwtKeys ?? environment["MOVIEMASH_JWT_KEYS"] {
            do { keys = try SigningKeys(parsing: text) } catch { throw ValidationError(error.detail) }
        } else {
            var random = SystemRandomNumberGenerator()
            let secret = (0..<48).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16) }.joined()
            keys = try SigningKeys(parsing: "ephemeral:\(secret)")
            logger.warning("no --jwt-keys: signing with a random key; tokens and tickets end with this process")
        }
        let log = try EventLog(directory: data, configuration: logConfiguration)
        let catalogue = ProjectorService(Catalogue(), log: log, snapshots: snapshots, logger: logger)
        let tallies = ProjectorService(Tallies(), log: log, snapshots: snapshots, logger: logger)
        let elo = ProjectorService(EloRatings(), log: log, snapshots: snapshots, logger: logger)
        let counts = ProjectorService(BradleyTerryCounts(), log: log, snapshots: snapshots, logger: logger)
        let recentPairs = ProjectorService(RecentPairs(), log: log, snapshots: snapshots, logger: logger)
        let accounts = ProjectorService(Accounts(), log: log, snapshots: snapshots, logger: logger)
        let leaderboards = LeaderboardService(source: counts, logger: logger)
        let recommender = RecommenderService(log: log, logger: logger) {
            leaderboards.current.films.entries.prefix(100).map(\.item)
        }
        var readModel = ReadModel(
            catalogue: { catalogue.current.state }, tallies: { tallies.current.state }, elo: { elo.current.state },
            standings: { leaderboards.current },
            caughtUp: {
                let end = log.endPosition
                return [catalogue.current.position, tallies.current.position, elo.current.position,
                        counts.current.position, recentPairs.current.position, accounts.current.position,
                        recommender.positions.events].allSatisfy { $0 >= end }
                    && (recommender.current.model != nil || recommender.current.interactions.matrix.rows.isEmpty)
            })
        readModel.accounts = { accounts.current.state }
        readModel.recentPairs = { recentPairs.current.state }
        readModel.recommendations = { voter, count in recommender.recommendations(for: .voter(voter), count: count) }
        let writes = WriteSide(appender: LogAppender(log: log), authority: await TokenAuthority(keys: keys))
        var services: [any Service] = [catalogue, tallies, elo, counts, recentPairs, accounts, leaderboards, recommender]
        let mirror = postgresURL.map { PostgresMirror(log: log, url: $0, logger: logger) }
        if let mirror { services.append(mirror) }
        gateway.metrics = GatewayMetrics { [log] in
            let end = log.endPosition
            let positions = [
                (Catalogue.name, catalogue.current.position), (Tallies.name, tallies.current.position),
                (EloRatings.name, elo.current.position), (BradleyTerryCounts.name, counts.current.position),
                (RecentPairs.name, recentPairs.current.position), (Accounts.name, accounts.current.position),
                (RecommenderInteractions.name, recommender.positions.events),
            ]
            var samples = [GatewayMetrics.Sample(name: "log_position", help: "Events in the log", value: Double(end))]
            samples += positions.map {
                GatewayMetrics.Sample(name: "projector_lag_events", help: "Events a projection has not applied yet", labels: [("projector", $0.0)], value: Double(end - min($0.1, end)))
            }
            if let status = mirror?.status {
                samples.append(.init(name: "mirror_lag_events", help: "Events not yet in PostgreSQL", value: Double(status.lagEvents)))
                samples.append(.init(name: "mirror_lag_seconds", help: "Age of the oldest event not yet in PostgreSQL", value: status.lagSeconds))
            }
            return samples
        }
        let application: any Service
        do {
            application = try GatewayApplication.application(readModel: readModel, writes: writes, configuration: gateway, logger: logger)
        } catch let problem as Problem {
            try? await log.close()
            throw ValidationError(problem.detail)
        }
        services.append(application)
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        logger.info("serving", metadata: ["address": "\(gateway.tls == nil ? "http" : "https")://\(gateway.host):\(gateway.port)", "log": "\(data)", "events": "\(log.endPosition)"])
        do {
            try await group.run()
        } catch {
            try? await log.close()
            throw error
        }
        try await log.close()
        logger.info("stopped; the log is flushed and closed")
    }

    /// The option's value, else its environment variable's, which must parse as the option would.
    private func setting<Value: ExpressibleByArgument>(_ value: Value?, _ variable: String, flag: String) throws -> Value? {
        if let value { return value }
        guard let text = ProcessInfo.processInfo.environment[variable] else { return nil }
        guard let parsed = Value(argument: text) else { throw ValidationError("\(variable) is not a valid \(flag): '\(text)'") }
        return parsed
    }
}
