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
}
