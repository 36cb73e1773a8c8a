import Foundation

/// The single writer of a log: queues concurrent appends and writes each round of them as one batch with
/// one sync (group commit), while blocking I/O runs on its own thread so the actor keeps queueing. What to
/// do next is `WriterStateMachine`'s decision; the actor keeps the queue and performs the I/O.
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

        init(record: LogRecord, waiters: [Waiter]) {
            self.record = record
            self.waiters = waiters
        }
    }

    private let configuration: EventLog.Configuration
    private let appender: SegmentAppender
    private let state: LogState
    private let queue = DispatchQueue(label: "moviemash.eventlog.writer")
    /// The position of every durable record, by id: what makes appends idempotent.
    private var positions: [UUID: UInt64]
    private var waiting: [Slot] = []
    /// The round being written.
    private var writing: [Slot] = []
    /// Slots waiting or being written, by record id.
    private var slots: [UUID: Slot] = [:]
    private var machine: WriterStateMachine<ContinuousClock.Instant>
    /// The machine's status as the rest of the service sees it.
    nonisolated let board = WriterStatusBoard(.up)
    /// Callers of `close` waiting for it to finish, and how it finished.
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var closeResult: Result<Void, EventLogError>?

    init(configuration: EventLog.Configuration, appender: SegmentAppender, state: LogState, positions: [UUID: UInt64]) {
        self.configuration = configuration
        self.appender = appender
        self.state = state
        self.positions = positions
        machine = WriterStateMachine(policy: configuration.fsync)
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
        if slots[record.id] == nil, waiting.isEmpty, machine.state == .idle { return try await appendAlone(record) }
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
        if waiting.isEmpty, machine.state == .idle { return try await appendAlone(record) }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(record, .single(continuation))
            startDraining()
        }
    }

    /// An append that finds the writer idle writes the round itself: no task is started for the round and
    /// no continuation resumed when it ends, two thread hops fewer on the path of a lone appender. Appends
    /// that arrive meanwhile queue for the next round as usual.
    private func appendAlone(_ record: LogRecord) async throws -> UInt64 {
        let slot = Slot(record: record, waiters: [])
        slots[record.id] = slot
        waiting.append(slot)
        if let action = machine.queued() {
            guard case .write(let sync, let gather) = action else { preconditionFailure("a queued append starts a write, not \(action)") }
            board.set(machine.status)
            await writeRound(sync: sync, gather: gather)
            if let position = positions[record.id] { return position }
            if let refusal = machine.refusal, slots[record.id] == nil { throw refusal }
        }
        // The round filled up before this record (others queued while it gathered): wait for a later one.
        return try await withCheckedThrowingContinuation { continuation in
            if let position = positions[record.id] {
                continuation.resume(returning: position)
            } else if let slot = slots[record.id] {
                slot.waiters.append(.single(continuation))
            } else {
                continuation.resume(throwing: machine.refusal ?? EventLogError(.writerFailed, "the append was dropped by a failed round"))
            }
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
        if let refusal = machine.refusal { throw refusal }
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
            let slot = Slot(record: record, waiters: [waiter])
            slots[record.id] = slot
            waiting.append(slot)
        }
    }

    private func startDraining() {
        guard !waiting.isEmpty, let action = machine.queued() else { return }
        perform([action])
    }

    private func perform(_ actions: [WriterStateMachine<ContinuousClock.Instant>.Action]) {
        defer { board.set(machine.status) }
        for action in actions {
            switch action {
            case .write(let sync, let gather):
                Task { await writeRound(sync: sync, gather: gather) }
            case .scheduleSync(let deadline):
                let clock = configuration.clock
                Task {
                    try? await clock.sleep(deadline)
                    await syncDue()
                }
            case .sync:
                Task { try? await syncNow() }
            case .failQueued(let reason):
                fail(writing + waiting, with: reason)
                writing.removeAll()
            case .finishClose(let sync):
                Task { await finishClose(sync: sync) }
            }
        }
    }

    /// Writes one round. Appends that arrive during its I/O form the next round.
    private func writeRound(sync: Bool, gather: Bool) async {
        if gather { await Task.yield() }
        writing = takeRound()
        let records = writing.map(\.record)
        let appender = self.appender
        do {
            let first = try await onQueue { () throws in try appender.write(records, sync: sync) }
            for (offset, slot) in writing.enumerated() {
                let position = first + UInt64(offset)
                positions[slot.record.id] = position
                slots[slot.record.id] = nil
                for waiter in slot.waiters { waiter.place(at: position) }
            }
            let count = writing.count
            writing.removeAll()
            perform(machine.roundWritten(records: count, dirty: appender.isDirty, moreQueued: !waiting.isEmpty, now: configuration.clock.now()))
        } catch {
            perform(machine.failed(Self.failure(error)))
        }
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

    /// The error every later append gets after a failed write or sync, keeping the failure as its cause.
    private static func failure(_ error: any Error) -> EventLogError {
        let underlying = error as? EventLogError
        let what = underlying?.code == .belowReserve ? "free space is below the reserve" : "a write or sync failed"
        let cause = underlying.map { "\($0.code): \($0.message)" } ?? "\(error)"
        return EventLogError(
            .writerFailed, "\(what), appends are refused until the log heals: \(cause)",
            file: underlying?.file, offset: underlying?.offset, errno: underlying?.errno, cause: error)
    }

    /// After a failure: reopens and recovers the last segment (see `SegmentAppender.heal`) and takes appends
    /// again. Does nothing unless the writer failed; throws the reason it stays failed.
    func heal() async throws {
        guard machine.healRequested() else {
            if case .failed(let reason) = machine.state { throw reason }
            return
        }
        board.set(machine.status)
        let appender = self.appender
        do {
            try await onQueue { () throws in try appender.heal() }
            perform(machine.healed())
        } catch {
            let reason = Self.failure(error)
            perform(machine.healFailed(reason))
            throw reason
        }
    }

    private func fail(_ failed: [Slot], with reason: EventLogError) {
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

    private func syncDue() async {
        guard let action = machine.syncDue() else { return }
        perform([action])
    }

    /// Syncs everything written so far; a failure fails the writer.
    private func syncNow() async throws {
        let appender = self.appender
        do {
            try await onQueue { () throws in try appender.sync() }
        } catch {
            let reason = Self.failure(error)
            perform(machine.failed(reason))
            throw reason
        }
    }

    /// Syncs everything appended so far, whatever the policy.
    func sync() async throws {
        if let refusal = machine.refusal { throw refusal }
        try await syncNow()
    }

    /// Refuses further appends, waits for those queued, syncs and closes.
    func close() async throws {
        perform(machine.closeRequested())
        if closeResult == nil { await withCheckedContinuation { closeWaiters.append($0) } }
        try closeResult?.get()
    }

    private func finishClose(sync: Bool) async {
        var result: Result<Void, EventLogError> = .success(())
        if sync {
            let appender = self.appender
            do {
                try await onQueue { () throws in try appender.sync() }
            } catch {
                result = .failure(Self.failure(error))
            }
        }
        state.close()
        board.set(.closed)
        closeResult = result
        for waiter in closeWaiters { waiter.resume() }
        closeWaiters.removeAll()
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
