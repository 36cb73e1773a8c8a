import EventLog
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Copies every event of the log into the PostgreSQL `events` table, exactly once, in log order.
///
/// Each batch is one transaction: the rows into a temporary staging table, `INSERT … ON CONFLICT DO NOTHING`
/// into `events`, and the checkpoint moved by compare-and-set. Delivery is at least once into an
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
        /// How long the oldest unmirrored event has waited, in seconds (0 when caught up).
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
    /// The status, when the mirror last fell behind, and whether the current session got as far as mirroring
    /// (then a failure starts the backoff over).
    private let progress = Mutex<(status: Status, behindSince: ContinuousClock.Instant?, sessionMirrored: Bool, lastLogged: State?)>(
        (Status(), nil, false, nil))

    public init(log: EventLog, url: PostgresURL, configuration: Configuration = Configuration(), logger: Logger) {
        self.log = log
        self.url = url
        self.configuration = configuration
        self.logger = logger
    }

    public var status: Status {
        progress.withLock { progress in
            var status = progress.status
            status.lagEvents = log.endPosition &- min(status.nextPosition, log.endPosition)
            status.lagSeconds = status.lagEvents == 0 ? 0
                : progress.behindSince.map { (ContinuousClock.now - $0) / .seconds(1) } ?? 0
            return status
        }
    }

    /// Mirrors until graceful shutdown (or, without `follow`, until the backfill is done).
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.loop() }
        } catch is CancellationError {
            transition(to: .stopped)
        }
    }

    private func loop() async throws {
        var backoff = configuration.backoff
        var random = SystemRandomNumberGenerator()
        while true {
            do {
                try await session()
                transition(to: .stopped)
                return
            } catch let error where !(error is CancellationError) && !Task.isCancelled {
                let described = MirrorError.describe(error, target: url.redacted)
                if described.isPermanent {
                    transition(to: .stopped)
                    logger.error("mirror stopped: \(described)", metadata: ["postgres": "\(url.redacted)"])
                    throw described
                }
                let mirrored = progress.withLock { progress in
                    progress.status.failedAttempts += 1
                    defer { progress.sessionMirrored = false }
                    return progress.sessionMirrored
                }
                if mirrored { backoff.reset() }
                transition(to: .retrying(described.message))
                try await Task.sleep(for: backoff.next(using: &random))
            }
        }
    }

    /// One connection's life: migrate, take the lock, then mirror batches until done or an error.
    private func session() async throws {
        transition(to: .connecting)
        let connection = try await PostgresConnection.connect(
            configuration: url.configuration, id: 1, logger: logger)
        do {
            try await connection.watched(target: url.redacted) { try await self.mirror(on: connection) }
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func mirror(on connection: PostgresConnection) async throws {
        try await Migrator(connection: connection, target: url.redacted, logger: logger).migrate(Migration.bundled())
        var lockWait = Backoff(base: .milliseconds(50), cap: .seconds(2))
        var random = SystemRandomNumberGenerator()
        while try await connection.values(
            "SELECT pg_try_advisory_lock(\(Self.lockKey))", as: Bool.self, logger: logger) != [true] {
            transition(to: .waitingForLock)
            try await Task.sleep(for: lockWait.next(using: &random))
        }
        try await connection.query(
            "CREATE TEMPORARY TABLE IF NOT EXISTS mirror_staging (LIKE events) ON COMMIT DELETE ROWS", logger: logger)
        var next = try await checkpoint(on: connection)
        guard next <= log.endPosition else {
            throw MirrorError(
                .foreignEvents,
                "\(url.redacted) has mirrored \(next) events but the log holds only \(log.endPosition): it mirrors another log")
        }
        try await checkSameLog(upTo: next, on: connection)
        progress.withLock { $0.sessionMirrored = true }
        setNext(next)
        let stopAt = configuration.follow ? nil : log.endPosition
        let reader = log.reader(from: next)
        var batch: [StoredRecord] = []
        batch.reserveCapacity(configuration.batchSize)
        while true {
            while batch.count < configuration.batchSize, stopAt.map({ next + UInt64(batch.count) < $0 }) ?? true,
                  let record = try reader.next() {
                batch.append(record)
            }
            if batch.isEmpty {
                if let stopAt, next >= stopAt { return }
                transition(to: .caughtUp)
                guard try await log.waitForRecord(at: next, pollInterval: configuration.pollInterval) else { return }
                progress.withLock { $0.behindSince = ContinuousClock.now }
                continue
            }
            if progress.withLock({ $0.status.state }) != .catchingUp { transition(to: .catchingUp) }
            try await write(batch, after: next, on: connection)
            next += UInt64(batch.count)
            batch.removeAll(keepingCapacity: true)
            setNext(next)
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

    private func checkpoint(on connection: PostgresConnection) async throws -> UInt64 {
        let rows = try await connection.values("SELECT next_position FROM mirror_checkpoint", as: Int64.self, logger: logger)
        guard let value = rows.first else {
            throw MirrorError(.query, "\(url.redacted): mirror_checkpoint has no row; the schema was altered by hand")
        }
        return UInt64(value)
    }

    /// Writes one batch and moves the checkpoint from `first` past it, in one transaction.
    private func write(_ batch: [StoredRecord], after first: UInt64, on connection: PostgresConnection) async throws {
        let end = Int64(first) + Int64(batch.count)
        let logger = self.logger
        try await connection.withTransaction(logger: logger) { connection in
            try await EventRows.insert(batch, into: "mirror_staging", on: connection, logger: logger)
            try await connection.query("""
                INSERT INTO events (position, event_id, type, schema_version, occurred_at, payload)
                SELECT position, event_id, type, schema_version, occurred_at, payload FROM mirror_staging
                ON CONFLICT DO NOTHING
                """, logger: logger)
            let mismatches = try await connection.values("""
                SELECT s.position FROM mirror_staging s LEFT JOIN events e ON e.position = s.position
                WHERE e.event_id IS DISTINCT FROM s.event_id ORDER BY s.position LIMIT 1
                """, as: Int64.self, logger: logger)
            if let position = mismatches.first {
                throw MirrorError(
                    .foreignEvents,
                    "PostgreSQL holds a different event at log position \(position) (or this event at another position): the database mirrors another log")
            }
            let moved = try await connection.values("""
                UPDATE mirror_checkpoint SET next_position = \(end), updated_at = now()
                WHERE next_position = \(Int64(first)) RETURNING next_position
                """, as: Int64.self, logger: logger)
            guard !moved.isEmpty else {
                throw MirrorError(.fenced, "another mirror moved the checkpoint of \(url.redacted); starting over from it")
            }
        }
    }

    private func setNext(_ next: UInt64) {
        progress.withLock { progress in
            progress.status.nextPosition = next
            if next >= log.endPosition { progress.behindSince = nil }
            else if progress.behindSince == nil { progress.behindSince = ContinuousClock.now }
        }
    }

    /// Logs only when the state really changes: an outage logs one warning (another if its cause changes)
    /// and one line when the mirror is back, however many reconnection attempts lie between.
    private func transition(to state: State) {
        let log = progress.withLock { progress -> Bool in
            let previous = progress.lastLogged
            progress.status.state = state
            let quiet = state == previous || (state == .connecting && previous.map { if case .retrying = $0 { true } else { false } } == true)
            if !quiet { progress.lastLogged = state }
            return !quiet
        }
        guard log else { return }
        switch state {
        case .retrying: logger.warning("mirror \(state)", metadata: ["postgres": "\(url.redacted)"])
        default: logger.info("mirror \(state)", metadata: ["postgres": "\(url.redacted)", "position": "\(status.nextPosition)"])
        }
    }
}
