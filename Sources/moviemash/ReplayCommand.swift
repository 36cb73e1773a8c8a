import ArgumentParser
import EventLog
import EventStore
import Foundation
import MovieMashServer
import Projections

/// `moviemash replay`: rebuild projections from the log, optionally checking a service's snapshots.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild projections from position 0 of the log; with --verify, compare them with a service's snapshots.",
        discussion: "Projections: \(Projectors.fresh().map { type(of: $0).name }.sorted().joined(separator: ", ")). Exit 1 if --verify finds a difference.")

    @Option(help: "The log directory.") var data: String
    @Option(help: "Stop before this position (default: the log's end).") var to: UInt64?
    @Option(help: "Comma-separated projections to rebuild (default: all).") var projections: String?
    @Option(help: "Snapshot directory: written after the rebuild, or compared with --verify.") var snapshotDir: String?
    @Flag(help: "Compare each rebuilt state with the snapshot in --snapshot-dir at that snapshot's position.") var verify = false

    func run() async throws {
        let log = try EventLog(directory: data, mode: .readOnly)
        let names = projections.map { $0.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) } } ?? []
        var replay: Replay
        do { replay = try Replay(names: names, from: Projectors.fresh()) } catch { throw ValidationError("\(error)") }
        if let to, to > log.endPosition {
            throw ValidationError("--to \(to) is past the end of the log (\(log.endPosition))")
        }
        var end = to ?? log.endPosition
        var expected: [Int: SnapshotStore.Header] = [:]
        if verify {
            guard let snapshotDir else { throw ValidationError("--verify needs --snapshot-dir") }
            let store = SnapshotStore(directory: snapshotDir)
            for (index, projector) in replay.projectors.enumerated() {
                let name = type(of: projector).name
                let header: SnapshotStore.Header
                do {
                    guard let found = try store.read(name)?.header else { continue }
                    header = found
                } catch {
                    print("\(name): snapshot unreadable: \(error)")
                    throw ExitCode(1)
                }
                guard header.version == type(of: projector).version, header.configurationDigest == projector.configurationDigest else {
                    print("\(name): snapshot made by version \(header.version) or another configuration; not comparable")
                    throw ExitCode(1)
                }
                guard header.position <= log.endPosition else {
                    print("\(name): snapshot covers \(header.position) events, the log holds \(log.endPosition)")
                    throw ExitCode(1)
                }
                expected[index] = header
                replay.recordHash(of: index, at: header.position)
            }
            guard !expected.isEmpty else {
                print("no snapshots of the chosen projections in \(snapshotDir)")
                throw ExitCode(1)
            }
            end = max(end, expected.values.map(\.position).max()!)
        }
        var progress = Progress(total: end, verb: "replayed", noun: "events")
        try await replay.run(source: LogEventSource(log), to: end) { progress.show($0) }
        progress.finish()
        for projector in replay.projectors {
            let name = type(of: projector).name
            print("\(name)\tposition \(replay.position)\tstate \(String(projector.stateHash, radix: 16))")
        }
        if verify {
            var differs = false
            for (index, header) in expected.sorted(by: { $0.key < $1.key }) {
                let rebuilt = replay.hashes[index]!
                if rebuilt == header.stateHash {
                    print("\(header.name): equal to the snapshot at position \(header.position)")
                } else {
                    differs = true
                    print("\(header.name): DIFFERS at position \(header.position): snapshot \(String(header.stateHash, radix: 16)), rebuilt \(String(rebuilt, radix: 16))")
                }
            }
            if differs { throw ExitCode(1) }
        } else if let snapshotDir, replay.position > 0 {
            let store = SnapshotStore(directory: snapshotDir)
            let lastID = try log.read(from: replay.position - 1, limit: 1)[0].record.id
            for projector in replay.projectors {
                try store.write(projector, position: replay.position, lastEventID: lastID)
            }
            print("snapshots written to \(snapshotDir)")
        }
    }
}
