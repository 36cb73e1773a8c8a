import Foundation

/// The single writer of a log: queues concurrent appends and writes each round of them as one batch with
/// one sync (group commit), while blocking I/O runs on its own thread so the actor keeps queueing.
actor LogWriter {
    /// One caller's append: which of its records are placed, and where.
    private final class Request {
        var positions: [UInt64]
        var remaining: Int
        let continuation: CheckedContinuation<[UInt64], any Error>

        init(count: Int, continuation: CheckedContinuation<[UInt64], any Error>) {
            positions = [UInt64](repeating: 0, count: count)
            remaining = count
            self.continuation = continuation
        }

        func place(_ index: Int, at position: UInt64) {
            positions[index] = position
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: positions) }
        }
    }

    /// Who waits for a record's position: a single append, or one record of a multi-record append.
    private enum Waiter {
        case single(CheckedContinuation<UInt64, any Error>)
        case member(Request, index: Int)

        func place(at position: UInt64) {
            switch self {
            case .single(let continuation): continuation.resume(returning: position)
            case .member(let request, let index): request.place(index, at: position)
            }
        }
    }

    /// A record waiting to be written, and everyone who asked for it (retries share one slot).
    private final class Slot {
        let record: LogRecord
        var waiters: [Waiter]

        init(record: LogRecord, waiter: Waiter) {
            self.record = record
            waiters = [waiter]
        }
    }

    private let configuration: EventLog.Configuration
    private let appender: SegmentAppender
    private let state: LogState
    private let queue = DispatchQueue(label: "moviemash.eventlog.writer")
    /// The position of every durable record, by id: what makes appends idempotent.
    private var positions: [UUID: UInt64]
    private var waiting: [Slot] = []
    /// Slots waiting or being written, by record id.
    private var slots: [UUID: Slot] = [:]
    private var draining = false
    private var syncScheduled = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var failure: EventLogError?
    private var closed = false

    init(configuration: EventLog.Configuration, appender: SegmentAppender, state: LogState, positions: [UUID: UInt64]) {
        self.configuration = configuration
        self.appender = appender
        self.state = state
        self.positions = positions
    }

    /// Bytes held by the id → position table: its buckets' keys and values, plus the occupancy bitmap.
    /// `capacity` is three quarters of the bucket count, which is a power of two.
    var idIndexBytes: Int {
        guard positions.capacity > 0 else { return 0 }
        let buckets = 1 << (Int.bitWidth - (positions.capacity * 4 / 3 - 1).leadingZeroBitCount)
        return buckets * (MemoryLayout<UUID>.stride + MemoryLayout<UInt64>.stride) + buckets / 8
    }


    /// Appends one record; the common case, without the bookkeeping of a multi-record request.
    func append(_ record: LogRecord) async throws -> UInt64 {
        try check([record])
        if let position = positions[record.id] { return position }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(record, .single(continuation))
            startDraining()
        }
    }

    /// Appends `record` unless its id is written or queued already (nil then): one hop to the writer
    /// where asking first and appending after would take two.
    func appendNew(_ record: LogRecord) async throws -> UInt64? {
        try check([record])
        guard positions[record.id] == nil, slots[record.id] == nil else { return nil }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(record, .single(continuation))
            startDraining()
        }
    }

    func append(_ records: [LogRecord]) async throws -> [UInt64] {
        try check(records)
        guard !records.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let request = Request(count: records.count, continuation: continuation)
            for (index, record) in records.enumerated() {
                if let position = positions[record.id] {
                    request.place(index, at: position)
                } else {
                    enqueue(record, .member(request, index: index))
                }
            }
            startDraining()
        }
    }

    private func check(_ records: [LogRecord]) throws {
        if closed { throw EventLogError(.closed, "the log is closed") }
        if let failure { throw failure }
        if let large = records.first(where: { $0.payload.count > configuration.maximumRecordBytes }) {
            throw EventLogError(
                .recordTooLarge,
                "record \(large.id) has \(large.payload.count) bytes; the limit is \(configuration.maximumRecordBytes)")
        }
    }

    private func enqueue(_ record: LogRecord, _ waiter: Waiter) {
        if let slot = slots[record.id] {
            slot.waiters.append(waiter)
        } else {
            let slot = Slot(record: record, waiter: waiter)
            slots[record.id] = slot
            waiting.append(slot)
        }
    }

    private func startDraining() {
        if !draining, !waiting.isEmpty {
            draining = true
            Task { await drain() }
        }
    }

    /// Writes rounds until nothing waits. Appends that arrive during a round's I/O form the next round.
    private func drain() async {
        while !waiting.isEmpty, failure == nil {
            // Let appenders woken by the last round queue up again first: bigger rounds, fewer syncs.
            await Task.yield()
            let round = takeRound()
            let records = round.map(\.record)
            let appender = self.appender
            do {
                let first = try await onQueue { () throws in try appender.write(records) }
                for (offset, slot) in round.enumerated() {
                    let position = first + UInt64(offset)
                    positions[slot.record.id] = position
                    slots[slot.record.id] = nil
                    for waiter in slot.waiters { waiter.place(at: position) }
                }
                if appender.isDirty { scheduleSync() }
            } catch {
                fail(round + waiting, with: error)
            }
        }
        draining = false
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters.removeAll()
    }

    private func takeRound() -> [Slot] {
        var bytes = 0
        var count = 0
        for slot in waiting {
            if count > 0, count == configuration.maximumBatchRecords
                || bytes + slot.record.payload.count > configuration.maximumBatchBytes { break }
            bytes += slot.record.payload.count
            count += 1
        }
        defer { waiting.removeFirst(count) }
        return Array(waiting.prefix(count))
    }

    /// A failed write or sync leaves the file in an unknown state (and the kernel may have dropped the
    /// dirty pages), so the writer stops; reopening recovers from what is really on disk.
    private func fail(_ failed: [Slot], with error: any Error) {
        let reason = EventLogError(
            .writerFailed, "a write or sync failed, reopen the log to recover: \(error)",
            file: (error as? EventLogError)?.file, offset: (error as? EventLogError)?.offset,
            errno: (error as? EventLogError)?.errno)
        failure = reason
        waiting.removeAll()
        slots.removeAll()
        var failedRequests = Set<ObjectIdentifier>()
        for slot in failed {
            for waiter in slot.waiters {
                switch waiter {
                case .single(let continuation):
                    continuation.resume(throwing: reason)
                case .member(let request, _):
                    if failedRequests.insert(ObjectIdentifier(request)).inserted { request.continuation.resume(throwing: reason) }
                }
            }
        }
    }

    private func scheduleSync() {
        guard case .interval(let milliseconds) = configuration.fsync, !syncScheduled else { return }
        syncScheduled = true
        Task {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            await periodicSync()
        }
    }

    private func periodicSync() async {
        syncScheduled = false
        try? await sync()
    }

    /// Syncs everything written so far, whatever the policy.
    func sync() async throws {
        if let failure { throw failure }
        let appender = self.appender
        do {
            try await onQueue { () throws in try appender.sync() }
        } catch {
            fail([], with: error)
            throw failure!
        }
    }

    /// Waits for queued appends, syncs, and refuses further appends.
    func close() async throws {
        guard !closed else { return }
        closed = true
        if draining { await withCheckedContinuation { idleWaiters.append($0) } }
        defer { state.close() }
        if failure == nil { try await sync() }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try work())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
