import EventLog
import EventStore
import Foundation
import Gateway
import Hummingbird
import Logging
import MovieMashCore
import PostgresMirror
import Projections
import ServiceLifecycle

/// A running MovieMash node, wired for its role: the composition root.
///
/// A primary opens its log, and its Hummingbird application runs one service group in dependency order:
/// the log, the projectors, the leaderboard fit and the recommender, the mirror (with `postgres`), and
/// the HTTP server last, so that a graceful shutdown stops taking requests first and closes the log last.
/// Tests run a whole node in-process as one `Service`.
public struct Server: Service {
    public let configuration: ServerConfiguration
    public let log: EventLog
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
        switch configuration.role {
        case .primary:
            let log = try EventLog(directory: configuration.data, configuration: configuration.log)
            self.log = log
            let source = LogEventSource(log)
            let projectors = Projectors(
                source: source, snapshots: configuration.snapshotDirectory.map { SnapshotStore(directory: $0) }, logger: logger)
            self.projectors = projectors
            let mirror = configuration.postgres.map { PostgresMirror(log: log, url: $0, logger: logger) }
            self.mirror = mirror
            var gateway = configuration.gateway
            gateway.metrics = GatewayMetrics { Self.samples(log: log, projectors: projectors, mirror: mirror) }
            var readModel = ReadModel(
                catalogue: { projectors.catalogue.current.state }, tallies: { projectors.tallies.current.state },
                elo: { projectors.elo.current.state }, standings: { projectors.leaderboards.current },
                readiness: { [bounds = configuration.readiness] in
                    let end = log.endPosition
                    return NodeReadiness.evaluate(
                        end: end, projections: await projectors.observed(end: end, source: source), writer: log.writerStatus,
                        mirror: mirror?.status, bounds: bounds)
                })
            readModel.accounts = { projectors.accounts.current.state }
            readModel.recentPairs = { projectors.recentPairs.current.state }
            readModel.recommendations = { voter, count in projectors.recommender.recommendations(for: .voter(voter), count: count) }
            let writes = WriteSide(appender: LogAppender(log: log), authority: await TokenAuthority(keys: keys))
            var services: [any Service] = [LogService(log: log, logger: logger)] + projectors.services
            if let mirror { services.append(mirror) }
            do {
                application = try GatewayApplication.application(
                    readModel: readModel, writes: writes, configuration: gateway, services: services, logger: logger,
                    onListening: onListening)
            } catch {
                try? await log.close()
                throw error
            }
        }
    }

    public func run() async throws {
        let address = "\(configuration.gateway.tls == nil ? "http" : "https")://\(configuration.gateway.host):\(configuration.gateway.port)"
        logger.info("serving", metadata: ["role": "\(configuration.role)", "address": "\(address)", "log": "\(configuration.data)", "events": "\(log.endPosition)"])
        try await application.run()
        logger.info("stopped")
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
            value: Double(log.writerFailures)))
        samples += projectors.positions.map {
            GatewayMetrics.Sample(
                name: "projector_lag_events", help: "Events a projection has not applied yet", labels: [("projector", $0.name)],
                value: Double(end - min($0.position, end)))
        }
        if let status = mirror?.status {
            samples.append(.init(name: "mirror_lag_events", help: "Events not yet in PostgreSQL", value: Double(status.lagEvents)))
            samples.append(.init(name: "mirror_lag_seconds", help: "Age of the oldest event not yet in PostgreSQL", value: status.lagSeconds))
        }
        return samples
    }
}
