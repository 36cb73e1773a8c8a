import EventStore
import MovieMashServer
import EventLog
import Foundation
import InMemoryLogging
import Logging
import MovieMashCore
import Projections
import Testing
import TestSupport

func writeLog(_ events: [EventEnvelope], to directory: String) async throws -> EventLog {
    let log = try EventLog(directory: directory)
    _ = try await log.append(contentsOf: events.map(LogRecord.init))
    return log
}

@Suite struct SnapshotTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func aSnapshotThatCannotBeWrittenLeavesThePreviousOneAndNeverStopsTheProjection() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 3000)
        let log = try await writeLog(Array(events.prefix(1000)), to: directory.file("log"))
        let store = SnapshotStore(directory: directory.file("snapshots"), every: 200)
        let first = ProjectionCell(Tallies())
        let firstRuntime = ProjectionRuntime(source: LogEventSource(log), cells: first, snapshots: store, logger: logger)
        let running = Task { try await firstRuntime.run() }
        #expect(try await eventually { first.current.position == 1000 })
        running.cancel()
        try await running.value
        let before = try #require(try store.read(Tallies.name))

        // Where the temporary file would go there is a directory: every write fails, as on a full disk.
        try FileManager.default.createDirectory(atPath: store.path(of: Tallies.name) + ".tmp", withIntermediateDirectories: false)
        _ = try await log.append(contentsOf: events.dropFirst(1000).map(LogRecord.init))
        let logs = InMemoryLogHandler()
        let second = ProjectionCell(Tallies())
        let secondRuntime = ProjectionRuntime(source: LogEventSource(log), cells: second, snapshots: store, logger: Logger(label: "test") { _ in logs })
        let again = Task { try await secondRuntime.run() }
        #expect(try await eventually { second.current.position == UInt64(events.count) }, "the projection goes on")
        again.cancel()
        try await again.value
        let after = try #require(try store.read(Tallies.name))
        #expect(after.header == before.header && after.state == before.state, "the previous snapshot is intact")
        #expect(logs.entries.filter { $0.level == .warning }.count == 1, "logged once, not per attempt")
        try await log.close()
    }

    @Test func aProjectorLoadsItsSnapshotAndReplaysOnlyTheRest() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 4000)
        let log = try await writeLog(Array(events.prefix(2000)), to: directory.file("log"))
        let store = SnapshotStore(directory: directory.file("snapshots"))

        let first = ProjectionCell(EloRatings())
        let firstRuntime = ProjectionRuntime(source: LogEventSource(log), cells: first, snapshots: store, logger: logger)
        let running = Task { try await firstRuntime.run() }
        #expect(try await eventually { first.current.position == 2000 })
        running.cancel()
        try await running.value
        let header = try #require(try store.read(EloRatings.name)?.header)
        #expect(header.position == 2000)

        _ = try await log.append(contentsOf: events.dropFirst(2000).map(LogRecord.init))
        var loaded = EloRatings()
        #expect(await store.load(into: &loaded, source: LogEventSource(log)).position == 2000)
        let second = ProjectionCell(EloRatings())
        let secondRuntime = ProjectionRuntime(source: LogEventSource(log), cells: second, snapshots: store, logger: logger)
        let again = Task { try await secondRuntime.run() }
        #expect(try await eventually { second.current.position == UInt64(events.count) })
        again.cancel()
        try await again.value
        var rebuilt = EloRatings()
        for event in events { rebuilt.apply(event) }
        #expect(second.current.state.stateHash == rebuilt.stateHash)
        try await log.close()
    }

    @Test func aSnapshotOfAnotherConfigurationVersionOrLogIsIgnored() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 300)
        let log = try await writeLog(events, to: directory.file("log"))
        let store = SnapshotStore(directory: directory.file("snapshots"))
        var elo = EloRatings()
        for event in events { elo.apply(event) }
        try store.write(elo, position: UInt64(events.count), lastEventID: events.last!.eventID)

        var configuration = EloRatings.Configuration()
        configuration.k = 16
        var other = EloRatings(configuration: configuration)
        let otherLoad = await store.load(into: &other, source: LogEventSource(log))
        #expect(otherLoad.position == 0 && otherLoad.ignored?.contains("configuration") == true)
        #expect(other.stateHash == EloRatings(configuration: configuration).stateHash)

        try store.write(elo, position: UInt64(events.count), lastEventID: UUID())
        var fresh = EloRatings()
        #expect(await store.load(into: &fresh, source: LogEventSource(log)).ignored?.contains("another log") == true)

        let path = store.path(of: EloRatings.name)
        try store.write(elo, position: UInt64(events.count), lastEventID: events.last!.eventID)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var damaged = EloRatings()
        let damagedLoad = await store.load(into: &damaged, source: LogEventSource(log))
        #expect(damagedLoad.position == 0 && damagedLoad.ignored?.contains("checksum") == true)
        #expect(damaged.stateHash == EloRatings().stateHash)

        var versionBytes = Array("MMSNAP01".utf8)
        var writer = SnapshotWriter()
        writer.write(EloRatings.name)
        writer.write(UInt32(99))
        versionBytes += writer.bytes
        #expect(throws: SnapshotError.self) {
            try Data(versionBytes).write(to: URL(fileURLWithPath: path))
            _ = try store.read(EloRatings.name)
        }
        try await log.close()
    }

    @Test func readersSeeStatesThatFollowTheLiveLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 1000)
        let log = try await writeLog(Array(events.prefix(100)), to: directory.file("log"))
        let service = ProjectionCell(Tallies())
        let serviceRuntime = ProjectionRuntime(source: LogEventSource(log), cells: service, snapshots: nil, logger: logger)
        let running = Task { try await serviceRuntime.run() }
        #expect(try await eventually { service.current.position == 100 })
        let early = service.current
        for event in events.dropFirst(100) { _ = try await log.append(LogRecord(event)) }
        #expect(try await eventually { service.current.position == UInt64(events.count) })
        #expect(service.current.state.votes == 1000)
        #expect(early.position == 100 && early.state.votes == 0, "a snapshot already handed out never changes")
        running.cancel()
        try await running.value
        try await log.close()
    }
}

@Suite struct LeaderboardServiceTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A log of the first 1,000 of 2,000 sample votes' events, the counts of it in a runtime, and the
    /// leaderboard service over them, refitting as soon as the counts change. No staleness allowed: every
    /// fit runs at normal priority, since a low-priority fit beside a loaded test run (other suites at full
    /// speed on every core) can wait longer than any deadline.
    private func fitting(
        in directory: TemporaryDirectory, bootstrapRounds: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) async throws -> (events: [EventEnvelope], log: EventLog, counts: ProjectionCell<BradleyTerryCounts>, leaderboards: LeaderboardService, tasks: [Task<Void, any Error>]) {
        let events = sampleEvents(votes: 2000)
        let log = try await writeLog(Array(events.prefix(1000)), to: directory.file("log"))
        var configuration = BradleyTerry.Configuration()
        configuration.bootstrapRounds = bootstrapRounds
        let counts = ProjectionCell(BradleyTerryCounts(configuration: configuration))
        let runtime = ProjectionRuntime(source: LogEventSource(log), cells: counts, snapshots: nil, logger: logger)
        let leaderboards = LeaderboardService(
            source: counts, interval: .milliseconds(10), idleFactor: 0, maximumStaleness: .zero, busyInterval: .milliseconds(10),
            retention: .seconds(600), logger: logger, now: now)
        return (events, log, counts, leaderboards, [Task { try await runtime.run() }, Task { try await leaderboards.run() }])
    }

    /// A replaced fit stays served by its id for its retention as the service's clock counts it, and not
    /// after: moved by hand, no test waits ten minutes.
    @Test func aReplacedFitIsServedForItsRetentionByTheServicesClock() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // Real time plus the hand-moved offset: the service's own waits still end.
        let clock = ManualClock()
        let (events, log, _, leaderboards, tasks) = try await fitting(
            in: directory, bootstrapRounds: 5, now: { ContinuousClock.now.advanced(by: clock.now.offset) })
        #expect(try await eventually(timeout: .seconds(60)) { leaderboards.current.position == 1000 })
        _ = try await log.append(contentsOf: events.dropFirst(1000).map(LogRecord.init))
        let end = UInt64(events.count)
        #expect(try await eventually(timeout: .seconds(60)) { leaderboards.current.position == end })
        #expect(leaderboards.standings(fit: 1000)?.position == 1000 && leaderboards.fitIDs == [end, 1000])
        clock.advance(by: .seconds(590))
        #expect(leaderboards.standings(fit: 1000) != nil, "within its ten minutes")
        clock.advance(by: .seconds(15))
        #expect(leaderboards.standings(fit: 1000) == nil && leaderboards.fitIDs == [end], "gone after them")
        #expect(leaderboards.standings(fit: end) != nil, "the newest fit is always served")
        for task in tasks { task.cancel() }
        for task in tasks { try await task.value }
        try await log.close()
    }

    @Test func refitsInTheBackgroundAndPublishesWholeFits() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (events, log, counts, leaderboards, tasks) = try await fitting(in: directory, bootstrapRounds: 20)
        #expect(try await eventually(timeout: .seconds(60)) { leaderboards.current.position == 1000 })
        let first = leaderboards.current
        _ = try await log.append(contentsOf: events.dropFirst(1000).map(LogRecord.init))
        #expect(try await eventually(timeout: .seconds(60)) { leaderboards.current.position == UInt64(events.count) })
        let latest = leaderboards.current
        #expect(first.sets.entries.count > 0 && latest.sets.entries.count == 60)
        #expect(latest.films.entries.count > 0)
        #expect(latest.votes == counts.current.state.votes && latest.id == UInt64(events.count))
        // Refitted from the first fit's solutions: the fit of the latest counts, to the rounds' tolerance.
        let expected = await Leaderboard.fit(counts.current.state.sets, configuration: counts.current.state.configuration)
        #expect(latest.sets.entries.map(\.item) == expected.entries.map(\.item))
        for (got, want) in zip(latest.sets.entries.map(\.standing), expected.entries.map(\.standing)) {
            #expect(abs(got.rating - want.rating) < 1e-6 && abs(got.lower - want.lower) < 0.5 && abs(got.upper - want.upper) < 0.5)
        }
        // The replaced fit is still served by its id, whole.
        let firstID = try #require(first.id)
        let kept = try #require(leaderboards.standings(fit: firstID))
        #expect(kept.position == 1000 && kept.sets.entries.map(\.standing) == first.sets.entries.map(\.standing))
        #expect(leaderboards.fitIDs.first == latest.id && leaderboards.fitIDs.contains(1000))
        #expect(leaderboards.standings(fit: 999) == nil)
        for task in tasks { task.cancel() }
        for task in tasks { try await task.value }
        try await log.close()
    }
}
