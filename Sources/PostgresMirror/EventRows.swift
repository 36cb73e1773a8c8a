import EventLog
import Foundation
import Logging
import MovieMashCore
import PostgresNIO

/// Log records as rows of the `events` table, sent as one array per column in a single statement.
///
/// Not `COPY … FROM STDIN`: PostgresNIO 1.33.2 never resumes `copyFrom` when the server dies before it
/// answers the COPY, so a mirror caught by a crash would hang for good instead of retrying. Six array
/// parameters unnested by the server cost one round trip per batch, like COPY.
enum EventRows {
    /// Decodes `records` and inserts them into `table` (which has the columns of `events`).
    static func insert(
        _ records: [StoredRecord], into table: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        var positions: [Int64] = [], ids: [UUID] = [], types: [String] = [], versions: [Int32] = []
        var times: [String] = [], payloads: [String] = []
        positions.reserveCapacity(records.count)
        for stored in records {
            let envelope: EventEnvelope
            do {
                envelope = try EventCodec.decode(
                    stored.record.payload, eventID: stored.record.id,
                    occurredAt: Timestamp(milliseconds: stored.record.timestamp), position: stored.position)
            } catch {
                throw MirrorError(.undecodableEvent, "the event at log position \(stored.position) cannot be decoded: \(error)")
            }
            positions.append(Int64(stored.position))
            ids.append(envelope.eventID)
            types.append(envelope.type.rawValue)
            versions.append(Int32(envelope.schemaVersion))
            times.append(envelope.occurredAt.description)
            payloads.append(String(decoding: EventCodec.payloadJSON(envelope.event), as: UTF8.self))
        }
        var binds = PostgresBindings(capacity: 6)
        binds.append(positions)
        binds.append(ids)
        binds.append(types)
        binds.append(versions)
        binds.append(times)
        binds.append(payloads)
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table) (position, event_id, type, schema_version, occurred_at, payload)
            SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[]::timestamptz[], $6::text[]::jsonb[])
            """, binds: binds), logger: logger)
    }
}
