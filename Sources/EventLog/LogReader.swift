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
        var visited = 0
        while visited < limit {
            if bufferedIndex < buffered.count {
                let stored = buffered[bufferedIndex]
                bufferedIndex += 1
                position += 1
                visited += 1
                try stored.record.payload.withUnsafeBytes { payload in
                    try body(RecordView(position: stored.position, id: stored.record.id, timestamp: stored.record.timestamp, payload: payload))
                }
                continue
            }
            guard position < state.endPosition else { break }
            let wanted = position
            // The visit never outlives this call; `nextBatch` only takes it optionally.
            try withoutActuallyEscaping(body) { body in
                try nextBatch { [self] view in
                    guard view.position >= wanted else { return }
                    if visited < limit {
                        position += 1
                        visited += 1
                        try body(view)
                    } else {
                        buffered.append(StoredRecord(position: view.position, record: view.record))
                    }
                }
            }
            // A batch another reader had cached comes back whole, not visited.
            buffered = Self.records(buffered, from: position)
        }
        return visited
    }

    private func fillBuffer() throws {
        try nextBatch(inPlace: nil)
        buffered = Self.records(buffered, from: position)
    }

    /// Reads the batch at the reader's segment offset: from the cache of recent batches into `buffered`;
    /// else decoded, either into `buffered` (and the cache), or, with `inPlace`, visiting each record where
    /// it lies (nothing copied, nothing cached: a replay far behind the end would only churn the cache).
    private func nextBatch(inPlace: ((RecordView) throws -> Void)?) throws {
        buffered.removeAll(keepingCapacity: true)
        bufferedIndex = 0
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
        guard var current = segment else { return }
        if let batch = state.recentBatches.batch(segment: current.base, offset: current.offset) {
            current.offset += batch.length
            segment = current
            buffered = batch.records
            return
        }
        var records: [StoredRecord] = []
        let result = try current.reader.batch(
            at: current.offset, expectedPosition: nil, dictionary: current.dictionary, scratch: &scratch,
            visit: inPlace ?? { records.append(StoredRecord(position: $0.position, record: $0.record)) })
        switch result {
        case .failure(let failure):
            segment = nil
            buffered = Self.records(records, from: position)
            throw EventLogError(.corrupt, failure.description, file: current.reader.file.path, offset: current.offset)
        case .success(let header):
            if inPlace == nil {
                state.recentBatches.remember(.init(records: records, length: Int64(header.totalLength)), segment: current.base, offset: current.offset)
                buffered = records
            }
            current.offset += Int64(header.totalLength)
            segment = current
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
