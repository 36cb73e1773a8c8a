import Logging
import MovieMashCore

/// Rebuilds projectors from position 0 of an event source in one pass of the node's own
/// `ProjectionRuntime` (one reader, each event decoded once, every cell fed each chunk), recording state
/// hashes where asked.
public struct Replay {
    private let cells: [any RuntimeCell]
    /// Where each projector's state hash should be recorded (by projector index).
    private var checkpoints: [UInt64: [Int]] = [:]
    public private(set) var hashes: [Int: UInt64] = [:]
    public private(set) var position: UInt64 = 0

    /// The projectors of `available` named in `names` (all, by name, when it is empty), in the given
    /// order; an unknown name is an error.
    public init(names: [String], from available: [any Projector]) throws(SnapshotError) {
        let byName = Dictionary(available.map { (type(of: $0).name, $0) }, uniquingKeysWith: { first, _ in first })
        let chosen = names.isEmpty ? byName.keys.sorted() : names
        cells = try chosen.map { name throws(SnapshotError) in
            guard let projector = byName[name] else {
                throw SnapshotError("unknown projection '\(name)'; known: \(byName.keys.sorted().joined(separator: ", "))")
            }
            return Self.cell(projector)
        }
    }

    private static func cell<P: Projector>(_ projector: P) -> any RuntimeCell { ProjectionCell(projector) }

    /// The projectors with every event applied so far.
    public var projectors: [any Projector] { cells.map(\.applied) }

    /// Asks for projector `index`'s state hash as of `position` (before the event at `position`).
    public mutating func recordHash(of index: Int, at position: UInt64) {
        checkpoints[position, default: []].append(index)
    }

    /// Applies the source's events up to `end` (exclusive), calling `progress` with the position now and then.
    public mutating func run(source: any EventSource, to end: UInt64, progress: (UInt64) -> Void) async throws {
        let runtime = ProjectionRuntime(
            source: source, cells: cells, snapshots: nil, configuration: ProjectionRuntime.Configuration(),
            logger: Logger(label: "replay") { _ in SwiftLogNoOpLogHandler() })
        takeHashes()
        for stop in checkpoints.keys.sorted() + [end] where stop > position && stop <= end {
            position = try await runtime.rebuild(to: stop, progress: progress)
            takeHashes()
            guard position == stop else { break }
        }
        progress(position)
    }

    private mutating func takeHashes() {
        guard let due = checkpoints.removeValue(forKey: position) else { return }
        for index in due { hashes[index] = cells[index].applied.stateHash }
    }
}
