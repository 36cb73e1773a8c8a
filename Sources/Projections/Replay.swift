import MovieMashCore

/// Rebuilds projectors from position 0 of an event source, in one pass, recording state hashes where asked.
public struct Replay {
    public private(set) var projectors: [any Projector]
    /// Where each projector's state hash should be recorded (by projector index).
    private var checkpoints: [UInt64: [Int]] = [:]
    public private(set) var hashes: [Int: UInt64] = [:]
    public private(set) var position: UInt64 = 0

    /// The projectors of `available` named in `names` (all, by name, when it is empty), in the given
    /// order; an unknown name is an error.
    public init(names: [String], from available: [any Projector]) throws(SnapshotError) {
        let byName = Dictionary(available.map { (type(of: $0).name, $0) }, uniquingKeysWith: { first, _ in first })
        let chosen = names.isEmpty ? byName.keys.sorted() : names
        projectors = try chosen.map { name throws(SnapshotError) in
            guard let projector = byName[name] else {
                throw SnapshotError("unknown projection '\(name)'; known: \(byName.keys.sorted().joined(separator: ", "))")
            }
            return projector
        }
    }

    /// Asks for projector `index`'s state hash as of `position` (before the event at `position`).
    public mutating func recordHash(of index: Int, at position: UInt64) {
        checkpoints[position, default: []].append(index)
    }

    /// Applies the source's events up to `end` (exclusive), calling `progress` with the position now and then.
    public mutating func run(source: any EventSource, to end: UInt64, progress: (UInt64) -> Void) async throws {
        takeHashes()
        _ = try await EventFollower(source: source).read(from: position, to: end) { event, after in
            for index in projectors.indices { projectors[index].apply(event) }
            position = after
            takeHashes()
            if position & 0xFFFF == 0 { progress(position) }
        }
        progress(position)
    }

    private mutating func takeHashes() {
        guard let due = checkpoints.removeValue(forKey: position) else { return }
        for index in due { hashes[index] = projectors[index].stateHash }
    }
}
