import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import PostgresNIO

/// Log records as rows of the `events` table, sent as one array per column in a single statement.
///
/// Not `COPY … FROM STDIN`: PostgresNIO 1.33.2 never resumes `copyFrom` when the server dies before it
/// answers the COPY, so a mirror caught by a crash would hang for good instead of retrying. Seven array
/// parameters unnested by the server cost one round trip per batch, like COPY.
struct EventRows: Sendable {
    var positions: [Int64] = []
    var ids: [UUID] = []
    var types: [String] = []
    var versions: [Int32] = []
    var times: [String] = []
    var payloads: [String] = []
    /// Each record's payload exactly as the log stores it (`events.record`).
    var records: [ByteBuffer] = []
    /// The columns already encoded for the wire, so that work too happens before the batch's turn.
    private(set) var binds = PostgresBindings(capacity: 7)

    var count: Int { positions.count }

    /// Decodes `records` into columns; CPU work that can run while the previous batch is being written.
    init(_ records: [StoredRecord]) throws(MirrorError) {
        positions.reserveCapacity(records.count)
        ids.reserveCapacity(records.count)
        types.reserveCapacity(records.count)
        versions.reserveCapacity(records.count)
        times.reserveCapacity(records.count)
        payloads.reserveCapacity(records.count)
        self.records.reserveCapacity(records.count)
        for stored in records {
            let envelope: EventEnvelope
            do {
                envelope = try EventEnvelope(stored)
            } catch {
                throw MirrorError(.undecodableEvent, "the event at log position \(stored.position) cannot be decoded: \(error)")
            }
            positions.append(Int64(stored.position))
            ids.append(envelope.eventID)
            types.append(envelope.type.rawValue)
            versions.append(Int32(envelope.schemaVersion))
            times.append(envelope.occurredAt.description)
            payloads.append(String(decoding: EventCodec.payloadJSON(envelope.event), as: UTF8.self))
            self.records.append(ByteBuffer(bytes: stored.record.payload))
        }
        binds.append(positions)
        binds.append(ids)
        binds.append(types)
        binds.append(versions)
        binds.append(times)
        binds.append(payloads)
        binds.append(self.records)
    }

    static let columns = "position, event_id, type, schema_version, occurred_at, payload, record"
    /// The rows as a relation, from the seven array parameters `binds` holds ($1 to $7).
    private static let unnested = "SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[]::timestamptz[], $6::text[]::jsonb[], $7::bytea[])"

    /// Inserts the rows into `table` (which has the columns of `events`), skipping rows whose position or
    /// event id is already there; returns how many rows were new.
    func insertNew(into table: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let counts = try await connection.values(PostgresQuery(unsafeSQL: """
            WITH inserted AS (
                INSERT INTO \(table) (\(Self.columns))
                \(Self.unnested)
                ON CONFLICT DO NOTHING RETURNING 1)
            SELECT count(*) FROM inserted
            """, binds: binds), as: Int64.self, logger: logger)
        return Int(counts.first ?? 0)
    }

    /// Inserts every row into `events` and moves the checkpoint from `first` past them in ONE statement, its
    /// own transaction: one round trip where BEGIN, insert, checkpoint and COMMIT take four, which is most
    /// of a small batch's time at the live end. True when both happened; false when nothing changed: a row's
    /// position or id is taken (a batch delivered again, or another log's events), or the checkpoint is
    /// elsewhere, or (with `epoch`, a leased writer's fence) the checkpoint's epoch is another. The caller then
    /// takes the careful path, which tells these apart.
    func insertMovingCheckpoint(from first: Int64, epoch: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var binds = binds
        binds.append(first + Int64(count))
        binds.append(first)
        binds.append(epoch ?? 0)
        do {
            let inserted = try await connection.values(PostgresQuery(unsafeSQL: """
                WITH moved AS (
                    UPDATE mirror_checkpoint SET next_position = $8, updated_at = now()
                    WHERE next_position = $9 AND (epoch = $10 OR \(epoch == nil)) RETURNING 1),
                inserted AS (
                    INSERT INTO events (\(Self.columns))
                    \(Self.unnested)
                    WHERE EXISTS (SELECT FROM moved)
                    RETURNING 1)
                SELECT count(*) FROM inserted
                """, binds: binds), as: Int64.self, logger: logger)
            return inserted.first == Int64(count)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            return false
        }
    }

    /// The first of these rows whose position holds another event in `events` (or none), if any.
    func firstMismatch(on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        var binds = PostgresBindings(capacity: 2)
        binds.append(positions)
        binds.append(ids)
        return try await connection.values(PostgresQuery(unsafeSQL: """
            SELECT s.position FROM unnest($1::bigint[], $2::uuid[]) AS s(position, event_id)
            LEFT JOIN events e ON e.position = s.position
            WHERE e.event_id IS DISTINCT FROM s.event_id ORDER BY s.position LIMIT 1
            """, binds: binds), as: Int64.self, logger: logger).first
    }
}
