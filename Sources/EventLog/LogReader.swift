/// Reads records in position order from a starting position up to the log's durable end.
///
/// Not thread-safe: one reader per task. Any number of readers may run beside the writer.
public final class LogReader {
    private let state: LogState
    /// The next position to return.
    public private(set) var position: UInt64
    private var segment: (base: UInt64, dictionary: [UInt8], reader: ChunkedReader, offset: Int64)?
    private var buffered: [StoredRecord] = []
    private var bufferedIndex = 0
    private var scratch: [UInt8] = []

    init(state: LogState, position: UInt64) {
        self.state = state
        self.position = position
    }

    /// The next record, or nil when the reader has reached the durable end of the log.
    ///
    /// Throws an `EventLogError` with code `.corrupt` naming file and offset if a batch fails its checks.
    public func next() throws -> StoredRecord? {
        if bufferedIndex < buffered.count {
            defer { bufferedIndex += 1; position += 1 }
            return buffered[bufferedIndex]
        }
        while bufferedIndex >= buffered.count {
            guard position < state.endPosition else { return nil }
            try fillBuffer()
        }
        return try next()
    }

    /// Visits up to `limit` records from the reader's position in place, without copying them: each view,
    /// payload included, is valid only during `body`. Returns how many it visited: fewer than `limit` only
    /// at the durable end. A replay decodes events straight from the decompressed batch this way.
    ///
    /// Throws an `EventLogError` with code `.corrupt` naming file and offset if a batch fails its checks,
    /// and whatever `body` throws (the reader then stands after the record it was visiting).
    public func visit(limit: Int, _ body: (RecordView) throws -> Void) throws -> Int {
        // Counted in locals and stored once: the per-record path touches no class property.
        var next = position, visited = 0
        defer { position = next }
        while visited < limit {
            if bufferedIndex < buffered.count {
                let stored = buffered[bufferedIndex]
                bufferedIndex += 1
                next += 1
                visited += 1
                try stored.record.payload.withUnsafeBytes { payload in
                    try body(RecordView(position: stored.position, id: stored.record.id, timestamp: stored.record.timestamp, payload: payload))
                }
                continue
            }
            guard next < state.endPosition else { break }
            let wanted = next
            var overflow: [StoredRecord] = []
            let read = try readBatch(at: wanted) { view in
                guard view.position >= wanted else { return }
                if visited < limit {
                    next += 1
                    visited += 1
                    try body(view)
                } else {
                    overflow.append(StoredRecord(position: view.position, record: view.record))
                }
            }
            // A batch another reader had cached comes back whole, not visited.
            if case .cached(let records) = read { overflow = Self.records(records, from: next) }
            buffered = overflow
            bufferedIndex = 0
        }
        return visited
    }

    private func fillBuffer() throws {
        // Whatever was read, a failing batch's good records too, is what `next` returns.
        var records: [StoredRecord] = []
        defer {
            buffered = Self.records(records, from: position)
            bufferedIndex = 0
        }
        switch try readBatch(at: position, { records.append(StoredRecord(position: $0.position, record: $0.record)) }) {
        case .cached(let cached):
            records = cached
        case .decoded(let segment, let offset, let length):
            state.recentBatches.remember(.init(records: records, length: length), segment: segment, offset: offset)
        }
    }

    /// Where a batch came from.
    private enum BatchRead {
        /// Another reader decoded it lately: its records, not visited.
        case cached([StoredRecord])
        /// Decoded here, every record visited; where it lies, for the cache.
        case decoded(segment: UInt64, offset: Int64, length: Int64)
    }

    /// Reads the batch at the reader's segment offset (moving to the segment of `position` first when the
    /// current one is exhausted): from the cache of recent batches, or decoded, visiting each record where
    /// it lies in the decompressed body.
    private func readBatch(at position: UInt64, _ visit: (RecordView) throws -> Void) throws -> BatchRead {
        if var current = segment, let end = state.endOffset(ofSegment: current.base), current.offset < end {
            current.reader.limit = end
            segment = current
        } else {
            guard let location = state.location(of: position) else {
                throw EventLogError(.positionOutOfRange, "position \(position) is not in the log")
            }
            let file = try LogFile(path: location.path, mode: .readOnly)
            segment = (location.basePosition, location.dictionary,
                       ChunkedReader(file: file, limit: location.endOffset), location.offset)
        }
        guard var current = segment else { return .cached([]) }
        let offset = current.offset
        if let batch = state.recentBatches.batch(segment: current.base, offset: offset) {
            current.offset += batch.length
            segment = current
            return .cached(batch.records)
        }
        // `batch` takes its visit optionally (nil only verifies), hence escaping in type; it never keeps it.
        let result = try withoutActuallyEscaping(visit) { visit in
            try current.reader.batch(at: offset, expectedPosition: nil, dictionary: current.dictionary, scratch: &scratch, visit: visit)
        }
        switch result {
        case .failure(let failure):
            segment = nil
            throw EventLogError(.corrupt, failure.description, file: current.reader.file.path, offset: offset)
        case .success(let header):
            current.offset += Int64(header.totalLength)
            segment = current
            return .decoded(segment: current.base, offset: offset, length: Int64(header.totalLength))
        }
    }

    /// The records of a batch from `position` on (a reader may start in the middle of one).
    private static func records(_ records: [StoredRecord], from position: UInt64) -> [StoredRecord] {
        guard let first = records.first, first.position < position else { return records }
        return records.filter { $0.position >= position }
    }
}

/// The records of a log from a position on, following new ones as they become durable.
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = StoredRecord
    let state: LogState
    let position: UInt64

    public func makeAsyncIterator() -> Iterator {
        Iterator(state: state, reader: LogReader(state: state, position: position))
    }

    public struct Iterator: AsyncIteratorProtocol {
        let state: LogState
        let reader: LogReader

        /// The next durable record; nil once the log is closed (and read to its end) or the task is cancelled.
        public mutating func next() async throws -> StoredRecord? {
            while true {
                if let record = try reader.next() { return record }
                if state.isClosed || Task.isCancelled { return nil }
                await state.waitUntilEnd(exceeds: reader.position)
                if reader.position >= state.endPosition, state.isClosed || Task.isCancelled { return nil }
            }
        }
    }
}
