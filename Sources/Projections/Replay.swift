import EventLog
import MovieMashCore

/// Rebuilds projectors from position 0 of a log, in one pass, recording state hashes where asked.
public struct Replay {
    /// Every projector the service runs, by name, with its default configuration.
    public static let available: [String: @Sendable () -> any Projector] = [
        Catalogue.name: { Catalogue() },
        Tallies.name: { Tallies() },
        EloRatings.name: { EloRatings() },
        BradleyTerryCounts.name: { BradleyTerryCounts() },
        RecentPairs.name: { RecentPairs() },
        RecommenderInteractions.name: { RecommenderInteractions() },
        Accounts.name: { Accounts() },
    ]

    public private(set) var projectors: [any Projector]
    /// Where each projector's state hash should be recorded (by projector index).
    private var checkpoints: [UInt64: [Int]] = [:]
    public private(set) var hashes: [Int: UInt64] = [:]
    public private(set) var position: UInt64 = 0

    /// Projectors by name (all when `names` is empty), in the given order; an unknown name is an error.
    public init(names: [String]) throws(SnapshotError) {
        let chosen = names.isEmpty ? Self.available.keys.sorted() : names
        projectors = try chosen.map { name throws(SnapshotError) in
            guard let make = Self.available[name] else {
                throw SnapshotError("unknown projection '\(name)'; known: \(Self.available.keys.sorted().joined(separator: ", "))")
            }
            return make()
        }
    }

    /// Asks for projector `index`'s state hash as of `position` (before the event at `position`).
    public mutating func recordHash(of index: Int, at position: UInt64) {
        checkpoints[position, default: []].append(index)
    }

    /// Applies the log's events up to `end` (exclusive), calling `progress` with the position now and then.
    public mutating func run(log: EventLog, to end: UInt64, progress: (UInt64) -> Void) throws {
        let reader = log.reader(from: position)
        takeHashes()
        while position < end, let stored = try reader.next() {
            let envelope = try EventEnvelope(stored)
            for index in projectors.indices { projectors[index].apply(envelope) }
            position = stored.position + 1
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
