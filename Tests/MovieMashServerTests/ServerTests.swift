import EventLog
import EventStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import MovieMashCore
import MovieMashServer
import Projections
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@Suite struct ServerTests {
    static func get(_ url: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func aWholeNodeRunsInProcessAndClosesItsLogLast() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleLogEvents(seed: 3, films: 40, sets: 20, voters: 6, votes: 300).events
        try await writeClosedLog(events, to: directory.file("log"))

        var configuration = ServerConfiguration(data: directory.file("log"))
        configuration.gateway.port = 0
        configuration.snapshotDirectory = directory.file("snapshots")
        let port = Mutex<Int?>(nil)
        let server = try await Server(configuration: configuration, logger: Logger(label: "test")) { bound in port.withLock { $0 = bound } }
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        #expect(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != nil })
        let base = "http://127.0.0.1:\(port.withLock { $0 }!)"
        #expect(try await eventually(timeout: .seconds(60)) { await Self.get(base + "/ready")?.status == 200 })
        let leaderboard = await Self.get(base + "/api/leaderboard/sets?limit=5")
        #expect(leaderboard?.status == 200 && leaderboard?.body.contains("\"total\":20") == true)
        #expect(server.projectors.positions.allSatisfy { $0.position == UInt64(events.count) })

        await group.triggerGracefulShutdown()
        try await running.value
        // Closed last and cleanly: the lock is free, and every projector wrote its snapshot at the end.
        let reopened = try EventLog(directory: directory.file("log"))
        #expect(reopened.endPosition == UInt64(events.count))
        try await reopened.close()
        let store = SnapshotStore(directory: directory.file("snapshots"))
        #expect(try store.read(Tallies.name)?.header.position == UInt64(events.count))
    }

    @Test func readyTurns503WhileAProjectionIsReallyBehindAndBackOnceCaughtUp() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (events, _) = sampleLogEvents(seed: 5, films: 60, sets: 40, voters: 50, votes: 60_000)
        try await writeClosedLog(Array(events.prefix(1000)), to: directory.file("log"))
        var configuration = ServerConfiguration(data: directory.file("log"))
        configuration.gateway.port = 0
        configuration.readiness.maximumLagEvents = 2000
        let port = Mutex<Int?>(nil)
        let server = try await Server(configuration: configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) { bound in
            port.withLock { $0 = bound }
        }
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        #expect(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != nil })
        let base = "http://127.0.0.1:\(port.withLock { $0 }!)"
        #expect(try await eventually(timeout: .seconds(60)) { await Self.get(base + "/ready")?.status == 200 })

        // A burst thirty times the bound: the projections take a while to apply it.
        let log = try #require(server.log)
        let burst = Task { _ = try await log.append(contentsOf: events.dropFirst(1000).map(LogRecord.init)) }
        let behind = Mutex<String?>(nil)
        #expect(try await eventually(timeout: .seconds(60)) {
            guard let answer = await Self.get(base + "/ready"), answer.status == 503 else { return false }
            behind.withLock { $0 = answer.body }
            return true
        })
        let body = try #require(behind.withLock { $0 })
        #expect(body.contains("not-ready") && body.contains("events behind, more than 2000") && body.contains("\"lagEvents\""), "\(body)")
        try await burst.value
        #expect(try await eventually(timeout: .seconds(120)) { await Self.get(base + "/ready")?.status == 200 })
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func anUnusableTLSFileStopsTheStartWithAConfigurationError() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ServerConfiguration(data: directory.file("log"))
        configuration.gateway.tls = (directory.file("missing.pem"), directory.file("missing-key.pem"))
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await Server(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(error?.setting == "tlsCertificate")
        // The log it opened is closed again: another open can take the writer lock.
        let log = try EventLog(directory: directory.file("log"))
        try await log.close()
    }

    @Test func replayAndTheRunningServiceShareOneListOfProjectors() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.file("log"))
        defer { Task { try? await log.close() } }
        let projectors = Projectors(source: LogEventSource(log), snapshots: nil, logger: Logger(label: "test"))
        #expect(Projectors.fresh().map { type(of: $0).name } == projectors.positions.map(\.name))
    }

    @Test func projectionsFollowASourceThatIsNotTheLog() async throws {
        let events = sampleLogEvents(seed: 4, films: 40, sets: 20, voters: 6, votes: 200).events
        let source = InMemoryEventSource(Array(events.prefix(100)))
        let service = ProjectionCell(Tallies())
        let serviceRuntime = ProjectionRuntime(source: source, cells: service, snapshots: nil, logger: Logger(label: "test"))
        let running = Task { try await serviceRuntime.run() }
        #expect(try await eventually(timeout: .seconds(60)) { service.current.position == 100 })
        source.append(Array(events.dropFirst(100)))
        #expect(try await eventually(timeout: .seconds(60)) { service.current.position == UInt64(events.count) })
        var expected = Tallies()
        for (position, event) in events.enumerated() {
            var placed = event
            placed.position = UInt64(position)
            expected.apply(placed)
        }
        #expect(service.current.state.stateHash == expected.stateHash)
        source.close()
        try await running.value
    }
}
