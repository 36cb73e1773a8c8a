import EventLog
import EventStore
import Foundation
import Gateway
import Hummingbird
import KeyVault
import Logging
import MovieMashCore
import PostgresMirror
import Projections
import ServiceLifecycle

/// A running MovieMash node, wired for its role: the composition root.
///
/// A primary opens its log, and its Hummingbird application runs one service group in dependency order:
/// the log, the projectors, the leaderboard fit and the recommender, the mirror (with `postgres`), the
/// scrape service (with `scrape`), and the HTTP server last, so that a graceful shutdown stops taking requests first and closes the log last.
/// A standby writer opens its log once it is in step with the events table, and takes writes only while its
/// `WriterSeat` holds the writer lease. A replica runs its PostgreSQL event source in the log's place and
/// forwards writes to the writer (a fixed one, or the lease holder).
/// Tests run a whole node in-process as one `Service`.
public struct Server: Service {
    public let configuration: ServerConfiguration
    /// The primary's log (a replica has none).
    public let log: EventLog?
    public let projectors: Projectors
    public let mirror: PostgresMirror?
    private let application: any Service
    private let logger: Logger

    /// Opens the log and builds every service; `onListening` gets the port once the server accepts
    /// connections (the one chosen when `port` is 0).
    public init(
        configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        self.configuration = configuration
        self.logger = logger
        let keys: SigningKeys
        if let configured = configuration.signingKeys {
            keys = configured
        } else {
            var random = SystemRandomNumberGenerator()
            let secret = (0..<48).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16) }.joined()
            keys = try SigningKeys(parsing: "ephemeral:\(secret)")
            logger.warning("no jwtKeys: signing with a random key; tokens and tickets end with this process")
        }
        let snapshots = configuration.snapshotDirectory.map { SnapshotStore(directory: $0, age: configuration.snapshotAge) }
        switch configuration.role {
        case .primary, .standbyWriter:
            let vault = try KeyStore(directory: configuration.keyStoreDirectory)
            if configuration.role == .standbyWriter, let url = configuration.postgres {
                let rejoined = try await LogRestore(url: url, directory: configuration.data, logger: logger).rejoin()
                logger.notice("the log is in step with the events table", metadata: ["end": "\(rejoined.end)", "cut": "\(rejoined.cut)"])
            }
            let log = try EventLog(directory: configuration.data, configuration: configuration.log)
            self.log = log
            let source = LogEventSource(log)
            let projectors = Projectors(source: source, snapshots: snapshots, vault: vault, logger: logger)
            self.projectors = projectors
            // A standby writer's seat: its lease, its fenced mirror once it leads, and its appender.
            let seat = configuration.role == .standbyWriter ? configuration.postgres.map { url in
                WriterSeat(
                    log: log, url: url, advertise: configuration.advertise ?? "", settings: configuration.lease,
                    replicationTimeout: configuration.replicationTimeout, logger: logger
                ) { [interval = configuration.derivedInterval] mirror in
                    // What the writer alone does, from the moment this node is it.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await ErasureCompletion(accounts: projectors.accounts, vault: vault, end: log.endPosition, logger: logger).run()
                        }
                        group.addTask {
                            try await DerivedPublisher(
                                projectors: projectors, mirrored: mirror.mirrored, tables: DerivedTables(url: url, logger: logger),
                                interval: interval, recommendations: 10, logger: logger
                            ).run()
                        }
                        try await group.waitForAll()
                    }
                }
            } : nil
            let mirror = seat == nil ? configuration.postgres.map { PostgresMirror(log: log, url: $0, logger: logger) } : nil
            self.mirror = mirror
            // Every write of this node goes through one appender, under the configured durability.
            let appender: any EventAppender = seat?.appender ?? LogAppender(
                log: log,
                replication: configuration.durability == .replicated ? mirror.map { ($0.mirrored, configuration.replicationTimeout) } : nil)
            let scraper = configuration.scrape.map { ScrapeService(configuration: $0, appender: appender, projectors: projectors, logger: logger) }
            let currentMirror = { @Sendable in mirror ?? seat?.mirror }
            var gateway = configuration.gateway
            gateway.metrics = GatewayMetrics { Self.samples(log: log, projectors: projectors, mirror: currentMirror()) + (scraper?.samples ?? []) }
            var readModel = Self.readModel(projectors, wait: configuration.positionWait) { [bounds = configuration.readiness] in
                let end = log.endPosition
                return NodeReadiness.evaluate(
                    end: end, projections: await projectors.observed(end: end, source: source),
                    fit: await projectors.observedFit(source: source), writer: log.writerStatus,
                    mirror: currentMirror()?.status, bounds: bounds)
            }
            readModel.notWriting = {
                if let seat { return seat.notWriting() }
                return log.writerStatus == .up ? nil : "the log's writer is \(log.writerStatus.name)"
            }
            let authentication = Authentication(
                authority: await TokenAuthority(keys: keys), perAddress: configuration.gateway.passwordChecksPerAddress)
            var writes = WriteSide(appender: appender, authentication: authentication, vault: vault)
            writes.letterboxd = scraper
            var services: [any Service] = [LogService(log: log, logger: logger)] + projectors.services
            if let seat {
                services.append(seat)
            } else {
                services.append(ErasureCompletion(accounts: projectors.accounts, vault: vault, end: log.endPosition, logger: logger))
            }
            if let mirror { services.append(mirror) }
            if let url = configuration.postgres, let mirror {
                services.append(DerivedPublisher(
                    projectors: projectors, mirrored: mirror.mirrored, tables: DerivedTables(url: url, logger: logger),
                    interval: configuration.derivedInterval,
                    recommendations: 10, logger: logger))
            }
            if let scraper { services.append(scraper) }
            do {
                application = try GatewayApplication.application(
                    readModel: readModel, writes: writes, configuration: gateway, services: services, logger: logger,
                    onListening: onListening)
            } catch {
                try? await log.close()
                throw error
            }
        case .replica:
            guard let events = configuration.events else {
                throw ConfigurationError("a replica needs --events", setting: "role")
            }
            let writer = configuration.writer ?? LeaseHolder(url: events, logger: logger).forwarding
            log = nil
            mirror = nil
            let source = PostgresEventSource(url: events, logger: logger)
            let projectors = Projectors(source: source, snapshots: snapshots, logger: logger)
            self.projectors = projectors
            var gateway = configuration.gateway
            gateway.metrics = GatewayMetrics { Self.samples(source: source, projectors: projectors) }
            let readModel = Self.readModel(projectors, wait: configuration.positionWait) { [bounds = configuration.readiness] in
                let status = source.status
                return NodeReadiness.evaluate(
                    end: status.end, projections: await projectors.observed(end: status.end, source: source),
                    fit: await projectors.observedFit(source: source), writer: nil,
                    mirror: nil, source: status, bounds: bounds)
            }
            let authentication = Authentication(
                authority: await TokenAuthority(keys: keys), perAddress: configuration.gateway.passwordChecksPerAddress)
            // The source starts first: every projector reads through it.
            application = try GatewayApplication.application(
                readModel: readModel, authentication: authentication, forwarding: writer, configuration: gateway,
                services: [source] + projectors.services, logger: logger, onListening: onListening)
        }
    }

    /// The gateway's view of `projectors`, with `readiness` for `/ready`.
    private static func readModel(_ projectors: Projectors, wait: Duration, readiness: @escaping @Sendable () async -> Readiness) -> ReadModel {
        var readModel = ReadModel(
            catalogue: { projectors.catalogue.current.state }, tallies: { projectors.tallies.current.state },
            elo: { projectors.elo.current.state }, standings: { projectors.leaderboards.current }, readiness: readiness)
        readModel.fit = { projectors.leaderboards.standings(fit: $0) }
        readModel.counts = {
            let (counts, position) = projectors.counts.current
            return (counts.coverage, position)
        }
        readModel.accounts = { projectors.accounts.current }
        readModel.consistency = Consistency(position: { projectors.position }, reach: { await projectors.reach($0, within: $1) }, bound: wait)
        readModel.recentPairs = { projectors.recentPairs.current.state }
        readModel.voterHistory = { projectors.voterHistory.current.state }
        readModel.recommendations = { voter, count, avoiding in
            projectors.recommender.recommendations(for: .voter(voter), count: count, avoiding: avoiding)
        }
        return readModel
    }

    public func run() async throws {
        let address = "\(configuration.gateway.tls == nil ? "http" : "https")://\(configuration.gateway.host):\(configuration.gateway.port)"
        var metadata: Logger.Metadata = ["role": "\(configuration.role)", "address": "\(address)"]
        if let log { metadata["log"] = "\(configuration.data)"; metadata["events"] = "\(log.endPosition)" }
        if let events = configuration.events { metadata["source"] = "\(events.redacted)" }
        logger.info("serving", metadata: metadata)
        try await application.run()
        logger.info("stopped")
    }

    /// What a replica's `/metrics` adds: its source's end and polls, and how far behind each projection is.
    static func samples(source: PostgresEventSource, projectors: Projectors) -> [GatewayMetrics.Sample] {
        let status = source.status
        return [
            GatewayMetrics.Sample(name: "source_position", help: "Events the source (the standby's events table) holds", value: Double(status.end)),
            GatewayMetrics.Sample(name: "source_up", help: "1 while the source answers", value: status.connected ? 1 : 0),
            GatewayMetrics.Sample(name: "source_polls", help: "Checkpoint queries sent to the source since start", value: Double(status.polls), kind: .counter),
        ] + lags(end: status.end, projectors: projectors)
    }

    /// Each projection's lag behind `end`, and what the served Bradley–Terry fit covers.
    private static func lags(end: UInt64, projectors: Projectors) -> [GatewayMetrics.Sample] {
        let fit = projectors.leaderboards.current, behind = projectors.leaderboards.freshness(of: fit).eventsBehind
        var samples = projectors.positions.map {
            GatewayMetrics.Sample(
                name: "projector_lag_events", help: "Events a projection has not applied yet", labels: [("projector", $0.name)],
                value: Double(end - min($0.position, end)))
        }
        samples.append(.init(name: "leaderboard_fit_position", help: "Log position the served Bradley–Terry fit covers (every event below it)", value: Double(fit.position)))
        samples.append(.init(name: "leaderboard_fit_votes", help: "Votes the served Bradley–Terry fit covers", value: Double(fit.votes)))
        samples.append(.init(
            name: "leaderboard_fit_events_behind", help: "Events the Bradley–Terry counts have applied beyond the served fit (0 while it covers every vote, set and film they hold)",
            value: Double(behind)))
        if let fittedAt = fit.fittedAt, let duration = fit.duration {
            samples.append(.init(name: "leaderboard_fit_age_seconds", help: "Seconds since the served Bradley–Terry fit finished", value: Date().timeIntervalSince(fittedAt)))
            samples.append(.init(name: "leaderboard_fit_duration_seconds", help: "How long the served Bradley–Terry fit took", value: Double(duration / .microseconds(1)) / 1_000_000))
        }
        return samples
    }

    /// What `/metrics` adds to the gateway's own series: the log's end and writer, and how far behind each
    /// projection and the mirror are.
    static func samples(log: EventLog, projectors: Projectors, mirror: PostgresMirror?) -> [GatewayMetrics.Sample] {
        let end = log.endPosition
        let writer = log.writerStatus.name
        var samples = [GatewayMetrics.Sample(name: "log_position", help: "Events in the log", value: Double(end))]
        samples += ["up", "failed", "healing", "closed", "read-only"].map { state in
            GatewayMetrics.Sample(
                name: "log_writer_state", help: "1 for the log writer's current state: up takes appends, failed and healing refuse them",
                labels: [("state", state)], value: state == writer ? 1 : 0)
        }
        samples.append(.init(
            name: "log_writer_failures", help: "Times the log writer went from taking appends to failing, since start",
            value: Double(log.writerFailures), kind: .counter))
        samples += lags(end: end, projectors: projectors)
        if let status = mirror?.status {
            samples.append(.init(name: "mirror_lag_events", help: "Events not yet in PostgreSQL", value: Double(status.lagEvents)))
            samples.append(.init(name: "mirror_lag_seconds", help: "Age of the oldest event not yet in PostgreSQL", value: status.lagSeconds))
        }
        return samples
    }
}
