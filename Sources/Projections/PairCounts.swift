/// Wins within each unordered pair of items, the items interned in order of first sight.
///
/// A pair's key packs its two dense indices (lower first); its value packs the lower item's wins above
/// the higher item's, so one dictionary entry holds a pair.
import OrderedCollections

public struct PairCounts<Item: Hashable & Sendable>: Sendable {
    public private(set) var items = OrderedSet<Item>()
    private var packed = PairTable()

    public init() {}

    /// Distinct pairs with at least one comparison.
    public var pairCount: Int { packed.count }

    public mutating func intern(_ item: Item) -> Int32 { Int32(items.append(item).index) }

    public mutating func record(winner: Int32, loser: Int32) {
        let (low, high) = winner < loser ? (winner, loser) : (loser, winner)
        let increment: UInt64 = winner == low ? 1 << 32 : 1
        packed.add(increment, to: UInt64(UInt32(low)) << 32 | UInt64(UInt32(high)))
    }

    /// How often `a` beat `b` and `b` beat `a`.
    public func wins(_ a: Item, _ b: Item) -> (a: Int, b: Int) {
        guard let i = items.firstIndex(of: a), let j = items.firstIndex(of: b) else { return (0, 0) }
        return wins(Int32(i), Int32(j))
    }

    /// How often the item interned at `i` beat the one at `j`, and the reverse.
    public func wins(_ i: Int32, _ j: Int32) -> (a: Int, b: Int) {
        guard i != j else { return (0, 0) }
        let (low, high) = i < j ? (i, j) : (j, i)
        let value = packed[UInt64(UInt32(low)) << 32 | UInt64(UInt32(high))] ?? 0
        let (lowWins, highWins) = (Int(value >> 32), Int(value & 0xFFFF_FFFF))
        return i == low ? (lowWins, highWins) : (highWins, lowWins)
    }

    /// Every pair as (lower index, higher index, lower's wins, higher's wins), in table order: cheaper
    /// than `comparisons` (no sort) where the order does not matter.
    public func forEachComparison(_ body: (_ low: Int32, _ high: Int32, _ lowWins: UInt32, _ highWins: UInt32) -> Void) {
        packed.forEach { key, value in
            body(Int32(key >> 32), Int32(truncatingIfNeeded: key), UInt32(value >> 32), UInt32(truncatingIfNeeded: value))
        }
    }

    /// Every pair as (lower index, higher index, lower's wins, higher's wins), sorted by index.
    public var comparisons: [(low: Int32, high: Int32, lowWins: UInt32, highWins: UInt32)] {
        packed.sorted.map { key, value in
            (Int32(key >> 32), Int32(truncatingIfNeeded: key), UInt32(value >> 32), UInt32(truncatingIfNeeded: value))
        }
    }

    func encode(into writer: inout SnapshotWriter, item: (Item, inout SnapshotWriter) -> Void) {
        writer.write(count: items.count)
        for key in items.elements { item(key, &writer) }
        writer.write(count: packed.count)
        for (key, value) in packed.sorted {
            writer.write(key)
            writer.write(value)
        }
    }

    mutating func decode(
        from reader: inout SnapshotReader, item: (inout SnapshotReader) throws(SnapshotError) -> Item
    ) throws(SnapshotError) {
        var keys: [Item] = []
        for _ in 0..<(try reader.count()) { keys.append(try item(&reader)) }
        items = try OrderedSet(snapshotKeys: keys)
        let pairs = try reader.count(minimumBytes: 16)
        packed = PairTable(minimumCapacity: pairs)
        for _ in 0..<pairs {
            let key = try reader.uint64()
            guard Int(key >> 32) < items.count, Int(key & 0xFFFF_FFFF) < items.count, key >> 32 < key & 0xFFFF_FFFF,
                  packed[key] == nil
            else { throw SnapshotError("pair key \(key) names unknown items or repeats") }
            packed.add(try reader.uint64(), to: key)
        }
    }
}
