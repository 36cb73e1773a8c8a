import MovieMashCore

/// Vote tallies: for each unordered pair of sets the votes for each side, and for each set its wins,
/// losses and appearances (votes it took part in).
public struct Tallies: Projector {
    public static let name = "tallies"
    public static let version: UInt32 = 1

    public private(set) var pairs = PairCounts<SetID>()
    private var wins: [UInt32] = []
    private var losses: [UInt32] = []
    public private(set) var votes = 0

    public init() {}

    public var configurationBytes: [UInt8] { [] }

    public mutating func apply(_ event: EventEnvelope) {
        guard case .voteCast(let vote) = event.event else { return }
        let winner = pairs.intern(vote.winningSet), loser = pairs.intern(vote.losingSet)
        while wins.count < pairs.items.count {
            wins.append(0)
            losses.append(0)
        }
        pairs.record(winner: winner, loser: loser)
        wins[Int(winner)] += 1
        losses[Int(loser)] += 1
        votes += 1
    }

    /// A set's record; zeros for a set that was never voted on.
    public func record(of set: SetID) -> (wins: Int, losses: Int, appearances: Int) {
        guard let index = pairs.items.firstIndex(of: set) else { return (0, 0, 0) }
        let (w, l) = (Int(wins[Int(index)]), Int(losses[Int(index)]))
        return (w, l, w + l)
    }

    /// Votes for `a` and for `b` in the pair {a, b}, whichever side each was shown on.
    public func votes(_ a: SetID, _ b: SetID) -> (a: Int, b: Int) { pairs.wins(a, b) }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: votes)
        pairs.encode(into: &writer) { set, writer in set.write(to: &writer) }
        for index in wins.indices {
            writer.write(wins[index])
            writer.write(losses[index])
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        votes = Int(try reader.uint64())
        try pairs.decode(from: &reader) { reader throws(SnapshotError) in try SetID.read(from: &reader) }
        wins = []
        losses = []
        for _ in 0..<pairs.items.count {
            wins.append(try reader.uint32())
            losses.append(try reader.uint32())
        }
    }
}
