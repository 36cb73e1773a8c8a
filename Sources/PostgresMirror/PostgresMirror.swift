import EventLog
import Foundation
import Logging
import MovieMashCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Copies every event of the log into the PostgreSQL `events` table, exactly once, in log order.
///
/// Each batch is one transaction: its rows into `events` and the checkpoint moved by compare-and-set, as
/// one statement when nothing else is in flight, else (or when a row is already there) `INSERT … ON
/// CONFLICT DO NOTHING` with a check that skipped rows are the same events. Delivery is at least once into an
/// idempotent sink, so rows are exactly once; a session advisory lock keeps a second mirror waiting.
/// When PostgreSQL is unreachable the log is untouched and the mirror retries with capped, jittered
/// backoff, logging once per change of state, then catches up from its checkpoint. Errors waiting cannot
/// fix (login refused, no database, the table mirrors another log) stop it with that error.
public final class PostgresMirror: Service, Sendable {
    /// Settings of the mirror.
    public struct Configuration: Sendable {
        /// Events per transaction at most.
        public var batchSize = 20_000
        public var backoff = Backoff()
        /// Keep following the log; when false, stop once the end the log had at start is mirrored (backfill).
        public var follow = true
        /// How often a log written by another process is checked for new records.
        public var pollInterval: Duration = .milliseconds(50)
        /// Once caught up, the mirror reports falling behind only beyond this many events.
        public var behindBound: UInt64 = 10_000
        /// A leased writer's fence: the `writer_lease` epoch it holds. The checkpoint moves only while its
        /// epoch is this one, and the mirror stops with `leaseLost` once it is not; no advisory lock is
        /// taken (the epoch excludes other writers, and a paused old writer's session may still hold it).
        public var epoch: Int64?
        /// With `epoch`: PostgreSQL ends a transaction of this mirror left open this long (a paused
        /// process's), so its row lock never holds up a takeover.
        public var idleInTransactionTimeout: Duration = .seconds(2)

        public init() {}
    }

    /// What the mirror is doing.
    public enum State: Sendable, Equatable, CustomStringConvertible {
        case starting
        case connecting
        /// Another mirror holds the lock of this database.
        case waitingForLock
        case catchingUp
        case caughtUp
        /// The last attempt failed for this reason; retrying after a backoff.
        case retrying(String)
        case stopped

        public var description: String {
            switch self {
            case .starting: "starting"
            case .connecting: "connecting"
            case .waitingForLock: "waiting for another mirror's lock"
            case .catchingUp: "catching up"
            case .caughtUp: "caught up"
            case .retrying(let reason): "retrying: \(reason)"
            case .stopped: "stopped"
            }
        }
    }

    /// The mirror's progress, for metrics and health checks.
    public struct Status: Sendable, Equatable {
        public var state: State = .starting
        /// Every position below this one is in PostgreSQL (as far as this mirror knows).
        public var nextPosition: UInt64 = 0
        /// Events in the log and not yet in PostgreSQL.
        public var lagEvents: UInt64 = 0
        /// The age of the oldest event not yet in PostgreSQL, by its timestamp, in seconds (0 when caught
        /// up), whether or not the mirror ever connected.
        public var lagSeconds: Double = 0
        /// Attempts that failed since the mirror started (each followed by a backoff).
        public var failedAttempts = 0
    }

    /// The session advisory lock key mirrors share ("MMmirror").
    static let lockKey: Int64 = 0x4D4D_6D69_7272_6F72

    private let log: EventLog
    private let url: PostgresURL
    private let configuration: Configuration
    private let logger: Logger
    /// Every position below this one is committed in PostgreSQL (for writes that wait for it).
    public let mirrored = PositionSignal()
    /// The status and the cycle that decides the mirror's next step.
    private let progress: Mutex<(status: Status, cycle: MirrorCycle)>
    /// The clock backoffs wait by, and the wall clock the lag is measured by (tests move their own).
    private let clock: any Clock<Duration>
    private let now: @Sendable () -> Timestamp

    public init(
        log: EventLog, url: PostgresURL, configuration: Configuration = Configuration(), logger: Logger,
        clock: any Clock<Duration> = ContinuousClock(), now: @escaping @Sendable () -> Timestamp = { .now }
    ) {
        self.clock = clock
        self.now = now
        self.log = log
        self.url = url
        self.configuration = configuration
        self.logger = logger
        progress = Mutex((Status(), MirrorCycle(retry: configuration.backoff, behindBound: configuration.behindBound)))
    }

    public var status: Status {
        var status = progress.withLock { progress in
            var status = progress.status
            status.state = progress.cycle.state
            status.failedAttempts = progress.cycle.failedAttempts
            return status
        }
        status.lagEvents = log.endPosition &- min(status.nextPosition, log.endPosition)
        if status.lagEvents > 0, let oldest = try? log.read(from: status.nextPosition, limit: 1).first {
            status.lagSeconds = max(0, Double(now().milliseconds - oldest.record.timestamp) / 1000)
        }
        return status
    }

    /// Mirrors until graceful shutdown (or, without `follow`, until the backfill is done).
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.loop() }
        } catch is CancellationError {
            perform { $0.stopped() }
        }
    }

    private func loop() async throws {
        var random = SystemRandomNumberGenerator()
        var next = perform { $0.start() }
        while let action = next.first {
            switch action {
            case .connect:
                do {
                    try await session()
                    perform { $0.stopped() }
                    return
                } catch let error where !(error is CancellationError) && !Task.isCancelled {
                    next = perform { $0.failed(MirrorError.describe(error, target: url.redacted), using: &random) }
                }
            case .wait(let duration):
                try await clock.sleep(for: duration)
                next = perform { $0.start() }
            case .stop(let error):
                throw error
            case .report:
                next.removeFirst()
            }
        }
    }

    /// Feeds the cycle an event and reports what it says to report; returns its other actions.
    @discardableResult
    private func perform(_ event: (inout MirrorCycle) -> [MirrorCycle.Action]) -> [MirrorCycle.Action] {
        let actions = progress.withLock { event(&$0.cycle) }
        for case .report(let state) in actions {
            switch state {
            case .retrying: logger.warning("mirror \(state)", metadata: ["postgres": "\(url.redacted)"])
            case .stopped:
                if case .stop(let error)? = actions.last {
                    logger.error("mirror stopped: \(error)", metadata: ["postgres": "\(url.redacted)"])
                } else {
                    logger.info("mirror \(state)", metadata: ["postgres": "\(url.redacted)", "position": "\(status.nextPosition)"])
                }
            default: logger.info("mirror \(state)", metadata: ["postgres": "\(url.redacted)", "position": "\(status.nextPosition)"])
            }
        }
        return actions.filter { if case .report = $0 { false } else { true } }
    }

    /// One session's life: connect, migrate, take the lock, then mirror batches until done or an error.
    ///
    /// Two connections: PostgreSQL spends a core per backend on parsing JSON and maintaining indexes, so a
    /// batch is inserted on one while the batch before commits on the other.
    private func session() async throws {
        let primary = try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: logger)
        do {
            let second = try await PostgresConnection.connect(configuration: url.configuration, id: 2, logger: logger)
            do {
                try await primary.watched(target: url.redacted) {
                    try await second.watched(target: self.url.redacted) { try await self.mirror(on: [primary, second]) }
                }
                try? await second.close()
            } catch {
                try? await second.close()
                throw error
            }
            try? await primary.close()
        } catch {
            try? await primary.close()
            throw error
        }
    }

    /// A batch being written: its transaction, and a signal that its checkpoint update has run.
    private struct InFlight {
        var end: UInt64
        var task: Task<Void, any Error>
        var moved: AsyncStream<Void>
    }

    private func mirror(on connections: [PostgresConnection]) async throws {
        let connection = connections[0]
        try await Migrator(connection: connection, target: url.redacted, logger: logger).migrate(Migration.bundled())
        if let epoch = configuration.epoch {
            let timeout = configuration.idleInTransactionTimeout.components
            for session in connections {
                _ = try await session.query(
                    PostgresQuery(unsafeSQL: "SET idle_in_transaction_session_timeout = \(max(1, timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000))"),
                    logger: logger)
            }
            try await checkEpoch(epoch, on: connection)
        } else {
            var random = SystemRandomNumberGenerator()
            while try await connection.values(
                "SELECT pg_try_advisory_lock(\(Self.lockKey))", as: Bool.self, logger: logger) != [true] {
                for case .wait(let duration) in perform({ $0.lockBusy(using: &random) }) { try await clock.sleep(for: duration) }
            }
        }
        perform { $0.lockTaken() }
        var next = try await checkpoint(on: connection)
        guard next <= log.endPosition else {
            throw MirrorError(
                .foreignEvents,
                "\(url.redacted) has mirrored \(next) events but the log holds only \(log.endPosition): it mirrors another log")
        }
        try await checkSameLog(upTo: next, on: connection)
        try await fillRecords(on: connection)
        setNext(next)
        let stopAt = configuration.follow ? nil : log.endPosition
        let reader = log.reader(from: next)
        let batchSize = configuration.batchSize
        /// Reads what is durable now, up to a batch (and never past `stopAt`).
        func readBatch(from position: UInt64) throws -> [StoredRecord] {
            var batch: [StoredRecord] = []
            while batch.count < batchSize, stopAt.map({ position + UInt64(batch.count) < $0 }) ?? true,
                  let record = try reader.next() {
                batch.append(record)
            }
            return batch
        }
        // Decoding a batch (CPU here) overlaps with writing the one before it (work in PostgreSQL), and
        // at most two batches are written at once, one per connection.
        var prepared: Task<EventRows, any Error>?
        var inFlight: InFlight?
        defer {
            prepared?.cancel()
            inFlight?.task.cancel()
        }
        func settle() async throws {
            guard let settling = inFlight else { return }
            try await settling.task.value
            inFlight = nil
            setNext(settling.end)
        }
        var turn = 0
        while true {
            if prepared == nil {
                let batch = try readBatch(from: next)
                if batch.isEmpty {
                    try await settle()
                    if let stopAt, next >= stopAt { return }
                    perform { $0.caughtUp() }
                    guard try await log.waitForRecord(at: next, pollInterval: configuration.pollInterval) else { return }
                    continue
                }
                prepared = Task { try EventRows(batch) }
            }
            perform { [lag = log.endPosition &- min(next, log.endPosition)] in $0.behind(lagEvents: lag) }
            let rows = try await prepared!.value
            let following = try readBatch(from: next + UInt64(rows.count))
            prepared = following.isEmpty ? nil : Task { try EventRows(following) }
            // Near the live end batches are small and PostgreSQL has cores to spare: one at a time keeps
            // the lag lowest.
            if rows.count < batchSize { try await settle() }
            let (moved, signal) = AsyncStream<Void>.makeStream()
            let writing = Task { [first = next, previous = inFlight?.moved, on = connections[turn]] in
                try await self.write(rows, after: first, on: on, afterCheckpointOf: previous, signal: signal)
            }
            do { try await settle() } catch {
                writing.cancel()
                throw error
            }
            next += UInt64(rows.count)
            inFlight = InFlight(end: next, task: writing, moved: moved)
            turn = 1 - turn
        }
    }

    /// Rows mirrored before `events.record` existed (migration 009) get their record bytes from the log, a
    /// batch per transaction in position order. Resumable: only rows still without bytes are touched, so a
    /// restart goes on where the last one stopped; each row's event id must match the log's.
    private func fillRecords(on connection: PostgresConnection) async throws {
        let missing = try await connection.values(
            "SELECT count(*) FROM events WHERE record IS NULL", as: Int64.self, logger: logger).first ?? 0
        guard missing > 0 else { return }
        logger.notice("filling the record bytes of rows mirrored before they were kept", metadata: ["rows": "\(missing)"])
        var filled: Int64 = 0, reported: Int64 = 0, from: Int64 = 0
        while true {
            let positions = try await connection.values("""
                SELECT position FROM events WHERE record IS NULL AND position >= \(from) ORDER BY position LIMIT \(configuration.batchSize)
                """, as: Int64.self, logger: logger)
            guard let first = positions.first, let last = positions.last else { break }
            let stored = try log.read(from: UInt64(first), limit: Int(last - first) + 1)
            let byPosition = Dictionary(uniqueKeysWithValues: stored.map { (Int64($0.position), $0.record) })
            var ids: [UUID] = [], records: [ByteBuffer] = []
            for position in positions {
                guard let record = byPosition[position] else {
                    throw MirrorError(.foreignEvents, "\(url.redacted) holds a row at position \(position) that the log does not: it mirrors another log")
                }
                ids.append(record.id)
                records.append(ByteBuffer(bytes: record.payload))
            }
            var binds = PostgresBindings(capacity: 3)
            binds.append(positions)
            binds.append(ids)
            binds.append(records)
            let updated = try await connection.values(PostgresQuery(unsafeSQL: """
                WITH filled AS (
                    UPDATE events SET record = r.record
                    FROM unnest($1::bigint[], $2::uuid[], $3::bytea[]) AS r(position, event_id, record)
                    WHERE events.position = r.position AND events.event_id = r.event_id AND events.record IS NULL
                    RETURNING 1)
                SELECT count(*) FROM filled
                """, binds: binds), as: Int64.self, logger: logger).first ?? 0
            guard updated == Int64(positions.count) else {
                throw MirrorError(.foreignEvents, "\(url.redacted) holds other events than the log between positions \(first) and \(last): it mirrors another log")
            }
            filled += updated
            from = last + 1
            if filled - reported >= max(missing / 10, 1) || filled == missing {
                reported = filled
                logger.notice("filling record bytes", metadata: ["filled": "\(filled)", "of": "\(missing)"])
            }
        }
    }

    /// The last mirrored row must be the log's event at that position: a database that mirrors another
    /// log is refused before anything is added to it.
    private func checkSameLog(upTo next: UInt64, on connection: PostgresConnection) async throws {
        guard next > 0, let last = try log.read(from: next - 1, limit: 1).first else { return }
        let stored = try await connection.values(
            "SELECT event_id FROM events WHERE position = \(Int64(next - 1))", as: UUID.self, logger: logger)
        guard stored == [last.record.id] else {
            throw MirrorError(
                .foreignEvents,
                "\(url.redacted) holds \(stored.first.map { "event \($0)" } ?? "no event") at position \(next - 1), the log holds \(last.record.id): it mirrors another log")
        }
    }

    /// Throws `leaseLost` unless the checkpoint's epoch is `epoch`.
    private func checkEpoch(_ epoch: Int64, on connection: PostgresConnection) async throws {
        let current = try await connection.values("SELECT epoch FROM mirror_checkpoint", as: Int64.self, logger: logger).first
        guard current == epoch else {
            throw MirrorError(
                .leaseLost,
                "\(url.redacted): the writer lease moved from epoch \(epoch) to \(current.map(String.init) ?? "none"); this writer commits nothing more")
        }
    }

    private func checkpoint(on connection: PostgresConnection) async throws -> UInt64 {
        let rows = try await connection.values("SELECT next_position FROM mirror_checkpoint", as: Int64.self, logger: logger)
        guard let value = rows.first else {
            throw MirrorError(.query, "\(url.redacted): mirror_checkpoint has no row; the schema was altered by hand")
        }
        return UInt64(value)
    }

    /// Writes one batch and moves the checkpoint from `first` past it, in one transaction. Rows already
    /// present (a batch delivered again after a lost commit reply) are skipped; a different event at one of
    /// these positions means the database mirrors another log.
    ///
    /// When the batch before is still being written on the other connection, this batch's checkpoint update
    /// is sent only after that batch's has run: it then waits on the checkpoint row's lock until the batch
    /// before commits, so batches commit in log order. Had the batch before rolled back, the
    /// compare-and-set finds the old position and this one rolls back too.
    private func write(
        _ rows: EventRows, after first: UInt64, on connection: PostgresConnection,
        afterCheckpointOf previous: AsyncStream<Void>?, signal: AsyncStream<Void>.Continuation
    ) async throws {
        defer { signal.finish() }
        let end = Int64(first) + Int64(rows.count)
        let logger = self.logger
        // Alone in flight (the live end's small batches), the batch and its checkpoint go in one statement.
        let epoch = configuration.epoch
        if previous == nil, try await rows.insertMovingCheckpoint(from: Int64(first), epoch: epoch, on: connection, logger: logger) {
            signal.yield()
            return
        }
        let target = url.redacted
        try await connection.withTransaction(logger: logger) { connection in
            let inserted = try await rows.insertNew(into: "events", on: connection, logger: logger)
            if inserted < rows.count, let position = try await rows.firstMismatch(on: connection, logger: logger) {
                throw MirrorError(
                    .foreignEvents,
                    "\(target) holds a different event at log position \(position) (or this event at another position): it mirrors another log")
            }
            if let previous {
                var signals = previous.makeAsyncIterator()
                guard await signals.next() != nil else { throw CancellationError() }
            }
            let moved = try await connection.values(PostgresQuery(unsafeSQL: """
                UPDATE mirror_checkpoint SET next_position = \(end), updated_at = now()
                WHERE next_position = \(Int64(first)) \(epoch.map { "AND epoch = \($0)" } ?? "") RETURNING next_position
                """), as: Int64.self, logger: logger)
            guard !moved.isEmpty else {
                if let epoch { try await self.checkEpoch(epoch, on: connection) }
                throw MirrorError(.fenced, "another mirror moved the checkpoint of \(target); starting over from it")
            }
            signal.yield()
        }
    }

    private func setNext(_ next: UInt64) {
        progress.withLock { $0.status.nextPosition = next }
        mirrored.advance(to: next)
    }
}
