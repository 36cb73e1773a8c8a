import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The `events` table of a PostgreSQL database — in practice a hot standby of the writer's mirror — as an
/// `EventSource`: what a replica node builds its projections and recommender from, with no log of its own.
///
/// The mirror moves `mirror_checkpoint` in the same transaction as the rows below it, so every position
/// below the checkpoint is committed and final: that is the source's end. One poller (this service's `run`)
/// watches the checkpoint, paced by `PollPacing` (a standby cannot LISTEN), and wakes every waiting
/// follower; reads that fail while the database is away are retried with backoff, so followers wait
/// instead of failing, and `status` says the source is unreachable.
public final class PostgresEventSource: EventSource, Service, Sendable {
    public struct Configuration: Sendable {
        public var pacing = PollPacing.Configuration()
        public var backoff = Backoff(base: .milliseconds(100), cap: .seconds(5))

        public init() {}
    }

    /// What the source knows of its database.
    public struct Status: Sendable, Equatable {
        /// The checkpoint last read: every position below it can be read.
        public var end: UInt64 = 0
        /// Whether the last query reached the database.
        public var connected = false
        /// When the database last answered.
        public var lastContact: ContinuousClock.Instant?
        /// Checkpoint polls so far (what tailing costs the standby).
        public var polls = 0
        /// Whether the checkpoint was read at least once.
        public var known = false
    }

    private struct State {
        var status = Status()
    }

    private let url: PostgresURL
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// The checkpoint followers wait on.
    private let end = PositionSignal()
    private let connection: SourceConnection

    public init(url: PostgresURL, configuration: Configuration = Configuration(), logger: Logger) {
        self.url = url
        self.configuration = configuration
        self.logger = logger
        connection = SourceConnection(url: url, logger: logger)
    }

    public var status: Status { state.withLock { $0.status } }

    /// Polls the checkpoint until shutdown, then wakes every waiter with "closed" and closes the
    /// connection. A source must run: its connection is closed only here.
    public func run() async throws {
        await poll()
        end.finish()
        await connection.close()
    }

    private func poll() async {
        var pacing = PollPacing(configuration: configuration.pacing)
        var backoff = configuration.backoff
        var random = SystemRandomNumberGenerator()
        var outage: String?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let pause: Duration
            do {
                let end = try await checkpoint()
                if let outage { logger.notice("events source reachable again", metadata: ["postgres": "\(url.redacted)", "after": "\(outage)"]) }
                outage = nil
                backoff.reset()
                pause = pacing.polled(foundNew: advance(to: end))
            } catch is CancellationError {
                return
            } catch {
                let reason = MirrorError.describe(error, target: url.redacted).message
                if outage != reason { logger.warning("events source unreachable", metadata: ["postgres": "\(url.redacted)", "error": "\(reason)"]) }
                outage = reason
                state.withLock { $0.status.connected = false }
                pause = backoff.next(using: &random)
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
        }
    }

    public func endPosition() async throws -> UInt64 {
        if let end = state.withLock({ $0.status.known ? $0.status.end : nil }) { return end }
        let end = try await retrying { try await self.checkpoint() }
        _ = advance(to: end)
        return end
    }

    /// One query per call: the node's one reader (its `ProjectionRuntime`) asks for each chunk once, so
    /// there is nothing to share between callers.
    public func events(from position: UInt64, limit: Int) async throws -> [EventEnvelope] {
        let end = try await endPosition()
        guard position < end, limit > 0 else { return [] }
        return try await read(from: position, upTo: min(end, position + UInt64(limit)))
    }

    /// The events `position..<upTo`, all below the checkpoint, in order, decoded by the log's own decoder.
    private func read(from position: UInt64, upTo: UInt64) async throws -> [EventEnvelope] {
        var events: [EventEnvelope] = []
        events.reserveCapacity(Int(upTo - position))
        for stored in try await records(from: position, upTo: upTo) {
            do {
                events.append(try EventEnvelope(stored))
            } catch {
                throw undecodable(at: stored.position, error)
            }
        }
        return events
    }

    /// The log records `position..<upTo`, all below the checkpoint, in order: each row's `record` bytes as
    /// the log stores them (binary transfer, nothing parsed), or, for a row mirrored before those were kept
    /// and not filled yet, its JSON encoded again.
    public func records(from position: UInt64, upTo: UInt64) async throws -> [StoredRecord] {
        let logger = self.logger
        let rows = try await retrying { try await self.connection.run { connection in
            var rows: [(Int64, UUID, Int64, ByteBuffer?, String?)] = []
            let result = try await connection.query("""
                SELECT position, event_id, (extract(epoch FROM occurred_at) * 1000)::bigint, record,
                    CASE WHEN record IS NULL THEN json_build_object(
                        'position', position, 'eventID', event_id, 'type', type, 'schemaVersion', schema_version,
                        'occurredAt', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'payload', payload)::text END
                FROM events WHERE position >= \(Int64(position)) AND position < \(Int64(upTo)) ORDER BY position
                """, logger: logger)
            for try await row in result.decode((Int64, UUID, Int64, ByteBuffer?, String?).self) { rows.append(row) }
            return rows
        } }
        var records: [StoredRecord] = []
        records.reserveCapacity(rows.count)
        for (rowPosition, id, milliseconds, bytes, json) in rows {
            let payload: [UInt8]
            if let bytes {
                payload = Array(bytes.readableBytesView)
            } else {
                do {
                    let envelope = try EventCodec.decodeJSON(Data((json ?? "").utf8))
                    payload = EventCodec.encode(envelope.event, occurredAt: envelope.occurredAt)
                } catch {
                    throw undecodable(at: UInt64(rowPosition), error)
                }
            }
            records.append(StoredRecord(position: UInt64(rowPosition), record: LogRecord(id: id, timestamp: milliseconds, payload: payload)))
        }
        guard records.count == Int(upTo - position), records.enumerated().allSatisfy({ $0.element.position == position + UInt64($0.offset) }) else {
            throw MirrorError(.query, "\(url.redacted): events \(position)..<\(upTo) are below the checkpoint but not all there")
        }
        return records
    }

    private func undecodable(at position: UInt64, _ error: any Error) -> MirrorError {
        MirrorError(.undecodableEvent, "\(url.redacted) holds an event it cannot be decoded from at position \(position): \(error)")
    }

    public func waitForEvent(at position: UInt64) async throws -> Bool {
        let found = await end.wait(until: position + 1)
        try Task.checkCancellation()
        return found
    }

    public func eventID(at position: UInt64) async throws -> UUID? {
        try await retrying {
            try await self.connection.values("SELECT event_id FROM events WHERE position = \(Int64(position))", as: UUID.self)
        }.first
    }

    /// Applies the bundled migrations (a writer-capable node may be the first to reach a new database).
    func migrate() async throws {
        let (url, logger) = (self.url, self.logger)
        _ = try await connection.run { connection in
            try await Migrator(connection: connection, target: url.redacted, logger: logger).migrate(Migration.bundled())
        }
    }

    private func checkpoint() async throws -> UInt64 {
        let rows = try await connection.values("SELECT next_position FROM mirror_checkpoint", as: Int64.self)
        state.withLock { state in
            state.status.polls += 1
            state.status.connected = true
            state.status.lastContact = .now
        }
        guard let value = rows.first else { throw MirrorError(.query, "\(url.redacted): mirror_checkpoint has no row; is this a MovieMash mirror?") }
        return UInt64(value)
    }

    /// Records the checkpoint `end` and wakes the followers waiting below it; whether it grew.
    private func advance(to end: UInt64) -> Bool {
        let grew = state.withLock { state in
            let grew = !state.status.known || end > state.status.end
            state.status.known = true
            state.status.end = max(state.status.end, end)
            return grew
        }
        self.end.advance(to: end)
        return grew
    }

    /// `query` until it succeeds, with backoff while the database is away; a cancelled task stops waiting.
    private func retrying<Value: Sendable>(_ query: @Sendable () async throws -> Value) async throws -> Value {
        var backoff = configuration.backoff
        var random = SystemRandomNumberGenerator()
        while true {
            do {
                return try await query()
            } catch let error as MirrorError where error.isPermanent {
                throw error
            } catch {
                try Task.checkCancellation()
                logger.debug("events query failed; retrying", metadata: ["postgres": "\(url.redacted)", "error": "\(error)"])
                try await Task.sleep(for: backoff.next(using: &random))
            }
        }
    }
}

/// One connection, opened when first needed (callers that arrive meanwhile wait for the same attempt: the
/// actor is reentrant across the connect), dropped after any failure and opened anew by the next query.
actor SourceConnection {
    private let url: PostgresURL
    private let logger: Logger
    private var connecting: Task<PostgresConnection, any Error>?
    private var closed = false

    init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    func close() async {
        closed = true
        if let connection = try? await connecting?.value { try? await connection.close() }
        connecting = nil
    }

    func values<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type) async throws -> [Value] {
        let logger = self.logger
        return try await run { try await $0.values(query, as: type, logger: logger) }
    }

    /// Runs `body` on the connection (opening it first if need be).
    func run<Value: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        guard !closed else { throw CancellationError() }
        let attempt: Task<PostgresConnection, any Error>
        if let connecting {
            attempt = connecting
        } else {
            let (url, logger) = (self.url, self.logger)
            attempt = Task { try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: logger) }
            connecting = attempt
        }
        let connection: PostgresConnection
        do {
            connection = try await attempt.value
        } catch {
            if connecting == attempt { connecting = nil }
            throw error
        }
        do {
            // Raced against the connection's close: PostgresNIO can lose a query's completion when the
            // server dies under it, and the poller would wait for good.
            return try await connection.watched(target: url.redacted) { try await body(connection) }
        } catch {
            // Only the caller that still finds this connection current closes it; others just fail.
            if connecting == attempt {
                connecting = nil
                try? await connection.close()
            }
            throw error
        }
    }
}
