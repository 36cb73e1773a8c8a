import Foundation
import MovieMashCore

/// An unordered pair of sets.
public struct PairKey: Hashable, Sendable {
    public let low: SetID
    public let high: SetID

    public init(_ a: SetID, _ b: SetID) {
        (low, high) = a < b ? (a, b) : (b, a)
    }
}

/// The pairs each voter voted on most recently (at most `limit`, newest last), so pairing does not offer
/// a voter the same comparison again soon.
public struct RecentPairs: Projector {
    public static let name = "recent-pairs"
    public static let version: UInt32 = 1

    public let limit: Int
    public private(set) var byVoter: [UserID: [PairKey]] = [:]

    public init(limit: Int = 64) {
        self.limit = max(1, limit)
    }

    public var configurationBytes: [UInt8] {
        var writer = SnapshotWriter()
        writer.write(UInt64(limit))
        return writer.bytes
    }

    public func pairs(of voter: UserID) -> [PairKey] { byVoter[voter] ?? [] }

    public mutating func apply(_ event: EventEnvelope) {
        guard case .voteCast(let vote) = event.event else { return }
        let pair = PairKey(vote.setA, vote.setB)
        var pairs = byVoter.removeValue(forKey: vote.userID) ?? []
        pairs.removeAll { $0 == pair }
        pairs.append(pair)
        if pairs.count > limit { pairs.removeFirst(pairs.count - limit) }
        byVoter[vote.userID] = pairs
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: byVoter.count)
        for voter in byVoter.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            writer.write(voter)
            let pairs = byVoter[voter]!
            writer.write(count: pairs.count)
            for pair in pairs {
                pair.low.write(to: &writer)
                pair.high.write(to: &writer)
            }
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        byVoter = [:]
        for _ in 0..<(try reader.count(minimumBytes: 24)) {
            let voter = try reader.uuid()
            var pairs: [PairKey] = []
            for _ in 0..<(try reader.count(minimumBytes: 32)) {
                pairs.append(PairKey(try SetID.read(from: &reader), try SetID.read(from: &reader)))
            }
            byVoter[voter] = pairs
        }
    }
}
