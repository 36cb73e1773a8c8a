/// A hash table from pair keys to packed counts: open addressing, linear probing, multiplicative hashing.
///
/// Tallies touch one pair per vote and Bradley–Terry counts sixteen film pairs per vote, scattered over
/// millions of pairs; `Dictionary` spends most of that time in SipHash and its generic probing. Keys and
/// values sit side by side (one cache line per probe), and 0 marks an empty slot: a pair key is never 0
/// because its two indices differ.
struct PairTable: Sendable {
    private var slots: [UInt64]
    private var shift: UInt64
    private(set) var count = 0

    init(minimumCapacity: Int = 0) {
        var capacity = 16
        while capacity < 2 * minimumCapacity { capacity *= 2 }
        slots = [UInt64](repeating: 0, count: 2 * capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    private var capacity: Int { slots.count / 2 }

    private func home(of key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    subscript(key: UInt64) -> UInt64? {
        precondition(key != 0, "pair keys are never 0")
        var slot = home(of: key)
        let mask = capacity - 1
        while true {
            let stored = slots[2 * slot]
            if stored == key { return slots[2 * slot + 1] }
            if stored == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `increment` to the value of `key` (which starts at 0).
    mutating func add(_ increment: UInt64, to key: UInt64) {
        precondition(key != 0, "pair keys are never 0")
        if 2 * (count + 1) > capacity { grow() }
        let mask = capacity - 1
        var slot = home(of: key)
        slots.withUnsafeMutableBufferPointer { slots in
            while true {
                let stored = slots[2 * slot]
                if stored == key {
                    slots[2 * slot + 1] &+= increment
                    return
                }
                if stored == 0 {
                    slots[2 * slot] = key
                    slots[2 * slot + 1] = increment
                    count += 1
                    return
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private mutating func grow() {
        var larger = PairTable(minimumCapacity: capacity)
        for slot in 0..<capacity where slots[2 * slot] != 0 {
            larger.add(slots[2 * slot + 1], to: slots[2 * slot])
        }
        self = larger
    }

    /// Every (key, value), in increasing key order.
    /// Every entry in table order (which follows from the keys and their order of insertion).
    func forEach(_ body: (_ key: UInt64, _ value: UInt64) -> Void) {
        slots.withUnsafeBufferPointer { slots in
            for slot in 0..<(slots.count / 2) where slots[2 * slot] != 0 { body(slots[2 * slot], slots[2 * slot + 1]) }
        }
    }

    var sorted: [(key: UInt64, value: UInt64)] {
        var entries: [(key: UInt64, value: UInt64)] = []
        entries.reserveCapacity(count)
        for slot in 0..<capacity where slots[2 * slot] != 0 { entries.append((slots[2 * slot], slots[2 * slot + 1])) }
        entries.sort { $0.key < $1.key }
        return entries
    }
}
