import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
@testable import Projections
import Testing
import TestSupport

@Suite struct ProjectionRuntimeTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// One reader feeds every cell; at several positions, reached while the log grows in chunks large (in
    /// parallel) and small (one after another), every cell's published state hashes as replay's rebuild of
    /// the same prefix does. A cell loaded from a later snapshot than the others skips what it holds.
    @Test func everyCellEqualsReplayAtEveryPositionItPublishes() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 3000)
        let log = try await writeLog(Array(events.prefix(1500)), to: directory.file("log"))
        let store = SnapshotStore(directory: directory.file("snapshots"))
        var ahead = EloRatings()
        for event in events.prefix(1500) { ahead.apply(event) }
        try store.write(ahead, position: 1500, lastEventID: events[1499].eventID)

        let (tallies, elo, counts, history) = (ProjectionCell(Tallies()), ProjectionCell(EloRatings()), ProjectionCell(BradleyTerryCounts()), ProjectionCell(VoterHistory()))
        var configuration = ProjectionRuntime.Configuration()
        configuration.parallelFrom = 256
        let runtime = ProjectionRuntime(
            source: LogEventSource(log), cells: tallies, elo, counts, history, snapshots: store, configuration: configuration, logger: logger)
        #expect(runtime.published.map(\.name) == [Tallies.name, EloRatings.name, BradleyTerryCounts.name, VoterHistory.name])
        let running = Task { try await runtime.run() }

        var replay = try Replay(names: [], from: [Tallies(), EloRatings(), BradleyTerryCounts(), VoterHistory()])
        var checked = 0
        for end in [1500, 1501, 1510, 2200, 3000] {
            if end > Int(log.endPosition) {
                for event in events[Int(log.endPosition)..<end] { _ = try await log.append(LogRecord(event)) }
            }
            #expect(try await eventually { [tallies.reached, elo.reached, counts.reached, history.reached].allSatisfy { $0.position == UInt64(end) } })
            try await replay.run(source: LogEventSource(log), to: UInt64(end)) { _ in }
            let rebuilt = Dictionary(uniqueKeysWithValues: replay.projectors.map { (type(of: $0).name, $0.stateHash) })
            #expect(tallies.current.state.stateHash == rebuilt[Tallies.name], "tallies at \(end)")
            #expect(elo.current.state.stateHash == rebuilt[EloRatings.name], "elo at \(end)")
            #expect(counts.current.state.stateHash == rebuilt[BradleyTerryCounts.name], "counts at \(end)")
            #expect(history.current.state.stateHash == rebuilt[VoterHistory.name], "voter history at \(end)")
            checked += 1
        }
        #expect(checked == 5 && runtime.hasCaughtUp)
        running.cancel()
        try await running.value
        try await log.close()
    }

    /// Snapshots are spaced by at least the position the last one covered (their cost grows with the log),
    /// and by `every` events at first; the age rule holds whatever the spacing.
    @Test func snapshotSpacingGrowsWithTheLog() {
        let store = SnapshotStore(directory: "/nonexistent", every: 1000, age: .seconds(60))
        let start = ContinuousClock.now, soon = start.advanced(by: .seconds(1))
        #expect(!store.isDue(position: 999, last: 0, lastAt: start, now: soon))
        #expect(store.isDue(position: 1000, last: 0, lastAt: start, now: soon))
        #expect(store.isDue(position: 2000, last: 1000, lastAt: start, now: soon))
        #expect(!store.isDue(position: 7999, last: 4000, lastAt: start, now: soon), "4,000 covered: due 4,000 later")
        #expect(store.isDue(position: 8000, last: 4000, lastAt: start, now: soon))
        #expect(store.isDue(position: 4001, last: 4000, lastAt: start, now: start.advanced(by: .seconds(60))), "due by age")
        #expect(!store.isDue(position: 4000, last: 4000, lastAt: start, now: start.advanced(by: .seconds(600))), "no event since")
    }

    /// A snapshot is due after `every` events, or after `age` with any event since: a node that takes few
    /// events still resumes near its end after a crash. Instants are moved by hand; nothing waits.
    @Test func snapshotsComeByCountAndByAge() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = SnapshotStore(directory: directory.path, every: 1000, age: .seconds(60))
        let cadence = SnapshotCadence<Tallies>()
        let start = ContinuousClock.now, events = sampleEvents(votes: 50)
        var tallies = Tallies()
        for event in events { tallies.apply(event) }
        cadence.loaded(at: 0, now: start)
        let id = events.last!.eventID
        let written: @Sendable () -> UInt64? = { (try? store.read(Tallies.name))??.header.position }

        cadence.publishing(tallies, at: 40, lastEventID: id, now: start.advanced(by: .seconds(59)), snapshots: store, logger: logger)
        await cadence.finish(tallies, at: 0, lastEventID: id, snapshots: store, logger: logger)
        #expect(written() == nil, "40 events and 59 s: not due")
        cadence.publishing(tallies, at: 40, lastEventID: id, now: start.advanced(by: .seconds(60)), snapshots: store, logger: logger)
        #expect(try await eventually { written() == 40 }, "due by age")
        cadence.publishing(tallies, at: 41, lastEventID: id, now: start.advanced(by: .seconds(61)), snapshots: store, logger: logger)
        cadence.publishing(tallies, at: 40, lastEventID: id, now: start.advanced(by: .seconds(300)), snapshots: store, logger: logger)
        await cadence.finish(tallies, at: 0, lastEventID: id, snapshots: store, logger: logger)
        #expect(written() == 40, "a second after the last, or no event since it: not due")
        cadence.publishing(tallies, at: 1040, lastEventID: id, now: start.advanced(by: .seconds(62)), snapshots: store, logger: logger)
        #expect(try await eventually { written() == 1040 }, "due by count")
    }

    /// The recommender's interactions are a cell with snapshots like the others: a node restarted (or
    /// killed) resumes them from the snapshot instead of reading the log from position 0.
    @Test func theRecommendersInteractionsResumeFromTheirSnapshot() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 2000)
        let log = try await writeLog(events, to: directory.file("log"))
        let store = SnapshotStore(directory: directory.file("snapshots"))
        let first = RecommenderService(logger: logger)
        let runtime = ProjectionRuntime(source: LogEventSource(log), cells: ProjectionCell(Tallies()), recommender: first, snapshots: store, logger: logger)
        let running = Task { try await runtime.run() }
        #expect(try await eventually { first.positions.events == UInt64(events.count) })
        running.cancel()
        try await running.value
        #expect(try store.read(RecommenderInteractions.name)?.header.position == UInt64(events.count))

        let second = RecommenderService(logger: logger)
        #expect(await second.load(from: store, source: LogEventSource(log), logger: logger) == UInt64(events.count))
        var rebuilt = RecommenderInteractions()
        for event in events { rebuilt.apply(event) }
        #expect(second.current.interactions.stateHash == rebuilt.stateHash && second.positions.events == UInt64(events.count))
        try await log.close()
    }
}
