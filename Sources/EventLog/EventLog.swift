import Foundation

/// A segmented, LZ4-compressed, append-only log of opaque records with dense positions from 0.
///
/// One process writes a log at a time (an advisory lock guards it); inside it, one writer actor groups
/// concurrent appends into batches. Any number of readers iterate or tail it concurrently with the writer,
/// and see only complete, durable batches.
public final class EventLog: Sendable {
    public let directory: String
    public let configuration: Configuration
    /// Damage found on open that keeps the log read-only: a bad batch or segment before the end.
    /// Records before the damage stay readable.
    public let damage: EventLogError?
    /// What opening the log repaired.
    public let recovery: Recovery
    let state: LogState
    private let writer: LogWriter?
    private let lock: LogFile?

    /// What opening repaired; empty when the log was closed cleanly.
    public struct Recovery: Sendable, Equatable {
        /// Bytes of an incomplete last batch that were cut off (never acknowledged).
        public var truncatedBytes: Int64 = 0
        /// Index files that were missing or stale and were rebuilt.
        public var rebuiltIndexes: [String] = []
        /// Segment files whose creation had been interrupted and which were removed.
        public var removedSegments: [String] = []
    }

    /// Opens (and with `.readWrite`, creates or recovers) the log in `directory`.
    ///
    /// A read-write open scans every batch (checking CRCs) to rebuild the idempotency index, truncates a
    /// torn tail of the last segment and rebuilds stale indexes. Damage anywhere else opens the log
    /// read-only up to the damage, with `damage` naming the file and byte offset.
    public init(directory: String, configuration: Configuration = Configuration(), mode: Mode = .readWrite) throws {
        self.directory = directory
        self.configuration = configuration
        let opened = try LogOpener(directory: directory, configuration: configuration, mode: mode).open()
        damage = opened.damage
        recovery = opened.recovery
        // The lock guards writing; a log that damage made read-only will never write, so it lets go at once.
        if opened.damage != nil { opened.lock?.unlock() }
        lock = opened.damage == nil ? opened.lock : nil
        state = LogState(segments: opened.segments)
        if mode == .readWrite, opened.damage == nil, let last = opened.segments.last {
            let appender = try SegmentAppender(
                directory: directory, configuration: configuration, state: state, last: last)
            writer = LogWriter(configuration: configuration, appender: appender, state: state, positions: opened.positions)
        } else {
            writer = nil
        }
    }

    /// The position the next appended record will get; every position below it is durable and readable.
    public var endPosition: UInt64 { state.endPosition }

    /// Appends one record and returns its position once it is durable under the fsync policy.
    ///
    /// - Important: If a record with the same `id` is already in the log (or on its way there), nothing is
    ///   written and its original position is returned.
    public func append(_ record: LogRecord) async throws -> UInt64 {
        try await writable().append(record)
    }

    /// Appends records in order and returns their positions once all are durable under the fsync policy.
    public func append(contentsOf records: [LogRecord]) async throws -> [UInt64] {
        try await writable().append(records)
    }

    private func writable() throws -> LogWriter {
        guard let writer else {
            throw damage.map { EventLogError(.readOnly, "the log is read-only because of damage: \($0)") }
                ?? EventLogError(.readOnly, "the log was opened read-only", file: directory)
        }
        return writer
    }

    /// Appends `record` unless a record with its id is already in the log or on its way there: then nothing
    /// is written and the answer is nil. Otherwise its position, once durable under the fsync policy.
    public func appendNew(_ record: LogRecord) async throws -> UInt64? {
        try await writable().appendNew(record)
    }

    /// Memory held by the idempotency index (every record id with its position), in bytes; 0 when read-only.
    public var idIndexBytes: Int {
        get async { await writer?.idIndexBytes ?? 0 }
    }

    /// Whether the log takes appends now.
    public var writerStatus: WriterStatus { writer?.board.status ?? (state.isClosed ? .closed : .readOnly) }

    /// How many times the writer went from taking appends to failing.
    public var writerFailures: Int { writer?.board.failures ?? 0 }

    /// The writer's status now, then each change until the log closes; a watcher that falls behind skips
    /// to the latest.
    public func writerStatusChanges() -> AsyncStream<WriterStatus> {
        guard let writer else {
            let (stream, continuation) = AsyncStream.makeStream(of: WriterStatus.self)
            continuation.yield(writerStatus)
            continuation.finish()
            return stream
        }
        return writer.board.changes()
    }

    /// Makes a failed writer take appends again, without a restart: the last segment is reopened on a new
    /// descriptor (a failed sync is never retried on the one that failed), cut back to the last
    /// acknowledged batch, rewritten from the last good sync and synced; acknowledged records stay, their
    /// positions stay dense. Throws the reason while that fails (say the disk is still full); does
    /// nothing when the writer has not failed.
    public func heal() async throws {
        try await writable().heal()
    }

    /// Syncs everything appended so far, whatever the fsync policy.
    public func sync() async throws {
        try await writer?.sync()
    }

    /// Finishes queued appends, syncs, wakes tailing readers, refuses further appends and releases the
    /// writer lock. Reading stays possible.
    public func close() async throws {
        defer {
            state.close()
            lock?.unlock()
        }
        try await writer?.close()
    }

    /// Waits until a record exists at `position` (the log's end exceeds it). Returns false instead if the
    /// log was closed first. A read-only log follows another process's writes by calling `refresh()` every
    /// `pollInterval`. Throws `CancellationError` when the task is cancelled.
    public func waitForRecord(at position: UInt64, pollInterval: Duration = .milliseconds(50)) async throws -> Bool {
        while endPosition <= position {
            if state.isClosed { return false }
            if writer != nil {
                await state.waitUntilEnd(exceeds: position)
                try Task.checkCancellation()
            } else {
                try await Task.sleep(for: pollInterval)
                try refresh()
            }
        }
        return true
    }

    /// Picks up batches and segments another process appended since this read-only log was opened (or
    /// last refreshed). They are synced before they become visible, so readers never see a record that a
    /// machine crash could still take back. Does nothing for the writing log, which publishes its own appends.
    public func refresh() throws {
        guard writer == nil, var last = state.segments.last else { return }
        var refreshed: [LogState.Segment] = []
        while true {
            let file = try LogFile(path: last.path, mode: .readOnly)
            let scan = try SegmentScan.scan(
                file, header: SegmentHeader(basePosition: last.basePosition, dictionary: last.dictionary),
                indexInterval: configuration.indexInterval,
                from: SegmentIndex.Entry(position: last.endPosition, offset: last.endOffset),
                lastIndexed: last.index.entries.last?.offset)
            if scan.endOffset > last.endOffset {
                try file.sync()
                for entry in scan.index.entries { last.index.append(entry) }
                last.endOffset = scan.endOffset
                last.endPosition = scan.endPosition
            }
            refreshed.append(last)
            let nextPath = SegmentAppender.segmentPath(directory: directory, base: last.endPosition)
            guard scan.stop == nil, let next = try? LogFile(path: nextPath, mode: .readOnly),
                  case .success(let header)? = try? SegmentHeader.read(from: next),
                  header.basePosition == last.endPosition
            else { break }
            last = LogState.Segment(empty: header, path: nextPath)
        }
        state.publish(replacingLast: refreshed)
    }

    /// Reads up to `limit` records starting at `position`.
    public func read(from position: UInt64, limit: Int = .max) throws -> [StoredRecord] {
        let reader = LogReader(state: state, position: position)
        var records: [StoredRecord] = []
        while records.count < limit, let record = try reader.next() {
            records.append(record)
        }
        return records
    }

    /// A reader positioned at `position` that stops at the log's end as it is when reached.
    public func reader(from position: UInt64 = 0) -> LogReader {
        LogReader(state: state, position: position)
    }

    /// Every durable record from `position` on, waiting for new ones at the end, until the log closes
    /// or the iterating task is cancelled.
    public func tail(from position: UInt64 = 0) -> LogTail {
        LogTail(state: state, position: position)
    }

    /// The segments as they are now.
    public var segments: [SegmentInfo] {
        state.segments.map {
            SegmentInfo(
                path: $0.path, basePosition: $0.basePosition, endPosition: $0.endPosition, bytes: $0.endOffset,
                dictionaryBytes: $0.dictionary.count, indexEntries: $0.index.entries.count)
        }
    }

    /// One segment file.
    public struct SegmentInfo: Sendable, Equatable {
        public var path: String
        public var basePosition: UInt64
        public var endPosition: UInt64
        public var bytes: Int64
        public var dictionaryBytes: Int
        public var indexEntries: Int
    }
}
