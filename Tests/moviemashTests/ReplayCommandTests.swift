import EventLog
import Foundation
import MovieMashCore
import Projections
import Testing
import TestSupport

@Suite struct ReplayCommandTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }

    @Test func verifyComparesRebuiltStatesWithAServicesSnapshots() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleLogEvents(seed: 3, films: 80, sets: 40, voters: 20, votes: 1500).events
        try await writeClosedLog(events, to: directory.file("log"))

        let written = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--snapshot-dir", directory.file("snapshots")])
        #expect(written.status == 0, "\(written.error)")
        #expect(written.error.contains("replayed \(events.count)/\(events.count) events (100%"), "plain progress lines when not a terminal")
        let lines = written.error.split(separator: "\n").filter { $0.hasPrefix("replayed ") }
        #expect(lines.count <= 11 && lines.dropLast().allSatisfy { $0.contains("ETA ") } && lines.last?.hasSuffix(", done)") == true, "\(lines)")
        let equal = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--snapshot-dir", directory.file("snapshots"), "--verify"])
        #expect(equal.status == 0, "\(equal.output)\(equal.error)")
        #expect(equal.output.contains("elo: equal to the snapshot at position \(events.count)"))

        // A snapshot that claims a position its state does not match (the last vote missing).
        var tallies = Tallies()
        for event in events.dropLast() { tallies.apply(event) }
        try SnapshotStore(directory: directory.file("snapshots"))
            .write(tallies, position: UInt64(events.count), lastEventID: events.last!.eventID)
        let differs = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--snapshot-dir", directory.file("snapshots"), "--verify"])
        #expect(differs.status == 1)
        #expect(differs.output.contains("tallies: DIFFERS at position \(events.count)"))
        #expect(differs.output.contains("elo: equal"))

        let early = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--to", "300", "--projections", "tallies,elo"])
        #expect(early.status == 0 && early.output.split(separator: "\n").count == 2 && early.output.contains("position 300"))
        let unknown = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--projections", "tallies,nonsense"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown projection 'nonsense'"))
    }
}
