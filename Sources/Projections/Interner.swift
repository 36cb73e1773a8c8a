/// Dense indices for keys in order of first sight, so state lives in arrays and its order is the log's.
public struct Interner<Key: Hashable & Sendable>: Sendable {
    public private(set) var keys: [Key] = []
    private var indices: [Key: Int32] = [:]

    public init() {}

    public var count: Int { keys.count }

    public func index(of key: Key) -> Int32? { indices[key] }

    /// The index of `key`, adding it if new; `isNew` tells which.
    public mutating func intern(_ key: Key) -> (index: Int32, isNew: Bool) {
        if let index = indices[key] { return (index, false) }
        let index = Int32(keys.count)
        keys.append(key)
        indices[key] = index
        return (index, true)
    }

    public subscript(index: Int32) -> Key { keys[Int(index)] }

    /// Rebuilds from keys in index order (as written by a snapshot); duplicates are damage.
    public init(keys: [Key]) throws(SnapshotError) {
        self.keys = keys
        indices.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() where indices.updateValue(Int32(index), forKey: key) != nil {
            throw SnapshotError("key \(key) appears twice")
        }
    }
}
