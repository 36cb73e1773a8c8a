import ByteCoding
/// The sparse index of one segment: the position and byte offset of some batch starts, ascending.
///
/// On disk (`.idx`) it is a plain array of 16-byte entries; it is a cache of what a scan of the segment
/// finds, so it is never fsynced and is rebuilt whenever it disagrees with the segment.
struct SegmentIndex: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var position: UInt64
        var offset: Int64
    }

    static let entryLength = 16

    private(set) var entries: [Entry] = []

    init(entries: [Entry] = []) {
        self.entries = entries
    }

    mutating func append(_ entry: Entry) {
        entries.append(entry)
    }

    /// The last entry at or before `position`.
    func floor(_ position: UInt64) -> Entry? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].position <= position { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    static func encode(_ entries: some Collection<Entry>) -> [UInt8] {
        var sink = ByteWriter()
        for entry in entries {
            sink.writeLittleEndian(entry.position)
            sink.writeLittleEndian(entry.offset)
        }
        return sink.bytes
    }

    /// Parses an index file; nil when it is not a whole number of ascending entries.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> SegmentIndex? {
        guard bytes.count % entryLength == 0 else { return nil }
        var source = ByteSource(bytes)
        var index = SegmentIndex()
        while source.remaining > 0 {
            guard let position = source.take(UInt64.self), let offset = source.take(Int64.self) else { return nil }
            if let last = index.entries.last, position <= last.position || offset <= last.offset { return nil }
            index.append(Entry(position: position, offset: offset))
        }
        return index
    }
}
