import Foundation

/// The writing end of the last segment. Only the writer's I/O queue touches it, one call at a time,
/// which is what makes the unchecked `Sendable` sound.
final class SegmentAppender: @unchecked Sendable {
    private let directory: String
    private let configuration: EventLog.Configuration
    private let state: LogState
    private var file: LogFile
    private var indexFile: LogFile
    private var indexFileLength: Int64
    private var header: SegmentHeader
    private var endOffset: Int64
    private var endPosition: UInt64
    private var lastIndexed: Int64?
    /// Where the last successful sync of the current segment ended: bytes after it may not be on disk.
    private var syncedOffset: Int64
    /// The most recent uncompressed record bytes: the next segment's dictionary.
    private var recent: [UInt8] = []
    private let compressor = LZ4Compressor()
    private(set) var isDirty = false

    init(directory: String, configuration: EventLog.Configuration, state: LogState, last: LogState.Segment) throws {
        self.directory = directory
        self.configuration = configuration
        self.state = state
        file = try LogFile(path: last.path, mode: .readWrite, faults: configuration.faults)
        indexFile = try LogFile(path: Self.indexPath(last.path), mode: .readWrite, faults: configuration.faults)
        indexFileLength = try indexFile.size()
        header = SegmentHeader(basePosition: last.basePosition, dictionary: last.dictionary)
        endOffset = last.endOffset
        endPosition = last.endPosition
        lastIndexed = last.index.entries.last?.offset
        // Opening recovered the segment and synced what it cut; what it kept was synced by the last writer or
        // is synced by the first sync here.
        syncedOffset = Int64(header.length)
    }

    static func segmentPath(directory: String, base: UInt64) -> String {
        let digits = String(base)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    static func indexPath(_ segmentPath: String) -> String {
        String(segmentPath.dropLast(4)) + ".idx"
    }

    /// Creates an empty segment (header synced, directory entry synced) and its empty index.
    static func createSegment(directory: String, header: SegmentHeader, faults: FaultInjection? = nil) throws -> LogState.Segment {
        let path = segmentPath(directory: directory, base: header.basePosition)
        let file = try LogFile(path: path, mode: .createNew, faults: faults)
        try file.write(header.encoded(), at: 0)
        try file.sync()
        try SegmentIndex.write([], to: indexPath(path), faults: faults)
        try LogFile.syncDirectory(directory)
        return LogState.Segment(empty: header, path: path)
    }

    /// Writes `records` as one batch, synced before it returns when `sync`; returns the first record's
    /// position.
    ///
    /// - Important: When this returns, the batch is visible to readers, and durable when `sync`.
    func write(_ records: [LogRecord], sync: Bool) throws -> UInt64 {
        if endOffset >= configuration.segmentSize, endPosition > header.basePosition {
            try roll()
        }
        let body = RecordBatch.body(of: records)
        let bytes = RecordBatch.encode(
            records, firstPosition: endPosition, body: body, dictionary: header.dictionary, compressor: compressor)
        try checkReserve(file, writing: Int64(bytes.count))
        try file.write(bytes, at: endOffset)
        if sync {
            try file.sync()
            syncedOffset = endOffset + Int64(bytes.count)
        } else {
            isDirty = true
        }
        var entry: SegmentIndex.Entry?
        if lastIndexed.map({ endOffset - $0 >= configuration.indexInterval }) ?? true {
            entry = SegmentIndex.Entry(position: endPosition, offset: endOffset)
            try indexFile.write(SegmentIndex.encode([entry!]), at: indexFileLength)
            indexFileLength += Int64(SegmentIndex.entryLength)
            lastIndexed = endOffset
        }
        remember(body)
        let first = endPosition
        endOffset += Int64(bytes.count)
        endPosition += UInt64(records.count)
        state.publish(endOffset: endOffset, endPosition: endPosition, indexEntry: entry)
        return first
    }

    /// Syncs written batches that the policy has not synced yet.
    func sync() throws {
        guard isDirty else { return }
        try file.sync()
        isDirty = false
        syncedOffset = endOffset
    }

    /// Refuses a write of `bytes` that would leave less than the reserve free.
    private func checkReserve(_ file: LogFile, writing bytes: Int64) throws {
        let available = try file.availableBytes()
        guard available - bytes >= configuration.minimumFreeBytes else {
            throw EventLogError(
                .belowReserve,
                "\(available) bytes are free on the log's file system; appends stop below the reserve of "
                    + "\(configuration.minimumFreeBytes) bytes (the configured minimum free bytes)", file: file.path)
        }
    }

    /// Makes the segment writable again after a failed write or sync, without trusting the descriptor
    /// that failed: closes it, reopens the last published segment, cuts it back to the end of the last
    /// acknowledged batch (a failed write may have left part of a batch, a failed roll a new segment),
    /// rewrites what was written since the last good sync so the kernel writes it back anew, syncs, and
    /// checks that every acknowledged batch reads back whole. Throws, changing nothing it relies on, while
    /// that is impossible or free space is still below the reserve.
    func heal() throws {
        guard let last = state.segments.last else { return }
        let stray = Self.segmentPath(directory: directory, base: last.endPosition)
        if stray != last.path, access(stray, F_OK) == 0 {
            unlink(stray)
            unlink(Self.indexPath(stray))
            try LogFile.syncDirectory(directory)
        }
        let reopened = try LogFile(path: last.path, mode: .readWrite, faults: configuration.faults)
        let rewriteFrom = last.path == file.path ? min(syncedOffset, last.endOffset) : last.headerLength
        if rewriteFrom < last.endOffset {
            try reopened.write(reopened.read(at: rewriteFrom, count: Int(last.endOffset - rewriteFrom)), at: rewriteFrom)
        }
        try reopened.truncate(to: last.endOffset)
        try reopened.sync()
        let start = last.index.entries.last ?? SegmentIndex.Entry(position: last.basePosition, offset: last.headerLength)
        let header = SegmentHeader(basePosition: last.basePosition, dictionary: last.dictionary)
        let scan = try SegmentScan.scan(
            reopened, header: header, indexInterval: configuration.indexInterval, from: start, lastIndexed: start.offset)
        guard scan.stop == nil, scan.endPosition == last.endPosition else {
            throw EventLogError(
                .corrupt, "acknowledged batches no longer read back: \(scan.stop?.reason ?? "the segment ends early")",
                file: last.path, offset: scan.stop?.offset ?? scan.endOffset)
        }
        let indexPath = Self.indexPath(last.path)
        try SegmentIndex.write(last.index.entries, to: indexPath, faults: configuration.faults)
        let reopenedIndex = try LogFile(path: indexPath, mode: .readWrite, faults: configuration.faults)
        try checkReserve(reopened, writing: 0)
        file = reopened
        indexFile = reopenedIndex
        indexFileLength = Int64(last.index.entries.count * SegmentIndex.entryLength)
        self.header = header
        endOffset = last.endOffset
        endPosition = last.endPosition
        lastIndexed = last.index.entries.last?.offset
        syncedOffset = last.endOffset
        isDirty = false
    }

    private func remember(_ body: [UInt8]) {
        let keep = configuration.dictionaryLength
        guard keep > 0 else { return }
        recent.append(contentsOf: body.suffix(keep))
        if recent.count > 2 * keep { recent.removeFirst(recent.count - keep) }
    }

    /// Seals the current segment and starts the next, primed with a dictionary of recent records.
    private func roll() throws {
        try sync()
        // A dictionary is worth a small share of a segment at most; tiny test segments must still hold batches.
        let length = min(configuration.dictionaryLength, SegmentHeader.maximumDictionaryLength, Int(configuration.segmentSize / 4))
        let dictionary = Array(recent.suffix(length))
        let segment = try Self.createSegment(
            directory: directory, header: SegmentHeader(basePosition: endPosition, dictionary: dictionary),
            faults: configuration.faults)
        file = try LogFile(path: segment.path, mode: .readWrite, faults: configuration.faults)
        indexFile = try LogFile(path: Self.indexPath(segment.path), mode: .readWrite, faults: configuration.faults)
        indexFileLength = 0
        syncedOffset = segment.endOffset
        header = SegmentHeader(basePosition: segment.basePosition, dictionary: dictionary)
        endOffset = segment.endOffset
        lastIndexed = nil
        state.publish(newSegment: segment)
    }
}

extension SegmentIndex {
    /// The index file at `path`, or nil if it is missing or not a well-formed index.
    static func load(_ path: String) -> SegmentIndex? {
        guard let file = try? LogFile(path: path, mode: .readOnly), let size = try? file.size(),
              let bytes = try? file.read(at: 0, count: Int(size))
        else { return nil }
        return bytes.withUnsafeBytes { decode($0) }
    }

    /// Replaces the index file at `path` with `entries`.
    static func write(_ entries: [Entry], to path: String, faults: FaultInjection? = nil) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let file = try LogFile(path: temporary, mode: .createNew, faults: faults)
        try file.write(encode(entries), at: 0)
        guard rename(temporary, path) == 0 else { throw LogFile.failure("rename", path: path) }
    }
}
