import EventLog
import Foundation
import Logging
import MovieMashCore
import NIOCore
import PostgresNIO

/// Log records as rows of the `events` table, sent with `COPY … FROM STDIN` in text format.
enum EventRows {
    static let columns = ["position", "event_id", "type", "schema_version", "occurred_at", "payload"]

    /// The text-format COPY line of one record (tab-separated, backslash-escaped, newline-terminated).
    static func line(_ stored: StoredRecord) throws(MirrorError) -> String {
        let envelope: EventEnvelope
        do {
            envelope = try EventCodec.decode(
                stored.record.payload, eventID: stored.record.id,
                occurredAt: Timestamp(milliseconds: stored.record.timestamp), position: stored.position)
        } catch {
            throw MirrorError(.undecodableEvent, "the event at log position \(stored.position) cannot be decoded: \(error)")
        }
        let payload = String(decoding: EventCodec.payloadJSON(envelope.event), as: UTF8.self)
        return "\(stored.position)\t\(envelope.eventID.uuidString.lowercased())\t\(envelope.type.rawValue)\t"
            + "\(envelope.schemaVersion)\t\(envelope.occurredAt)\t\(escape(payload))\n"
    }

    /// COPY text format treats backslash, tab, newline and carriage return specially.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\t": escaped += "\\t"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Copies `records` into `table` (which has the columns of `events`) on `connection`.
    static func copy(
        _ records: [StoredRecord], into table: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        var lines: [String] = []
        lines.reserveCapacity(records.count)
        for record in records { lines.append(try line(record)) }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var buffer = ByteBuffer()
            for line in lines {
                buffer.writeString(line)
                if buffer.readableBytes >= 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }
}
