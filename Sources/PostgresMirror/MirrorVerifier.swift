import EventLog
import Logging
import PostgresNIO

/// Compares the log with the `events` table range by range: the count and a hash of every row
/// (position, id, type, version, time, payload, record bytes), both computed by PostgreSQL from the same expression, so
/// JSON formatting cannot cause false differences. Then the analysts' typed tables against a derivation
/// from the whole of `events` (`analytics.differences()`), so both copies are checked against the log.
public struct MirrorVerifier: Sendable {
    /// One position range and what each side holds.
    public struct RangeReport: Sendable, Equatable {
        public var positions: Range<UInt64>
        public var logCount: Int
        public var tableCount: Int
        public var logHash: String
        public var tableHash: String
        /// The first position where the two differ, if they do.
        public var firstDifference: UInt64?

        public var isEqual: Bool { logCount == tableCount && logHash == tableHash }
    }

    /// One typed table of schema `analytics` against the rows `events` derives.
    public struct TypedTableReport: Sendable, Equatable {
        public var table: String
        /// Rows the derivation has and the table lacks.
        public var missing: Int
        /// Rows the table has and the derivation lacks.
        public var extra: Int

        public var isEqual: Bool { missing == 0 && extra == 0 }
    }

    /// The whole comparison.
    public struct Report: Sendable {
        public var ranges: [RangeReport]
        public var logEnd: UInt64
        public var checkpoint: UInt64
        public var typedTables: [TypedTableReport] = []

        public var isEqual: Bool { ranges.allSatisfy(\.isEqual) && typedTables.allSatisfy(\.isEqual) }
        public var firstDifferingRange: RangeReport? { ranges.first { !$0.isEqual } }
    }

    let log: EventLog
    let url: PostgresURL
    let rangeSize: UInt64
    let logger: Logger

    public init(log: EventLog, url: PostgresURL, rangeSize: UInt64 = 100_000, logger: Logger) {
        self.log = log
        self.url = url
        self.rangeSize = max(1, rangeSize)
        self.logger = logger
    }

    private static let rowText = """
        position::text || '|' || event_id::text || '|' || type || '|' || schema_version::text || '|' ||
        (extract(epoch FROM occurred_at) * 1000)::bigint::text || '|' || payload::text || '|' ||
        coalesce(md5(record), 'no record bytes')
        """

    /// Compares every range; `progress` hears the positions compared so far and the positions in all.
    public func verify(progress: @escaping @Sendable (_ compared: UInt64, _ total: UInt64) -> Void = { _, _ in }) async throws(MirrorError) -> Report {
        try await url.withConnection(logger: logger) { try await compare(on: $0, progress: progress) }
    }

    private func compare(on connection: PostgresConnection, progress: (UInt64, UInt64) -> Void) async throws -> Report {
        try await connection.query(
            "CREATE TEMPORARY TABLE IF NOT EXISTS verify_staging (LIKE events) ON COMMIT DELETE ROWS", logger: logger)
        var tableEnd: UInt64 = 0
        for try await maximum in try await connection.query(
            "SELECT coalesce(max(position) + 1, 0) FROM events", logger: logger).decode(Int64.self) {
            tableEnd = UInt64(maximum)
        }
        var checkpoint: UInt64 = 0
        for try await value in try await connection.query(
            "SELECT next_position FROM mirror_checkpoint", logger: logger).decode(Int64.self) {
            checkpoint = UInt64(value)
        }
        let logEnd = log.endPosition
        var ranges: [RangeReport] = []
        var start: UInt64 = 0
        while start < max(logEnd, tableEnd) {
            let end = start + rangeSize
            ranges.append(try await compare(start..<end, on: connection))
            start = end
            progress(min(end, max(logEnd, tableEnd)), max(logEnd, tableEnd))
        }
        var typedTables: [TypedTableReport] = []
        for try await (table, missing, extra) in try await connection.query(
            "SELECT table_name, missing, extra FROM analytics.differences()", logger: logger).decode((String, Int64, Int64).self) {
            typedTables.append(TypedTableReport(table: table, missing: Int(missing), extra: Int(extra)))
        }
        return Report(ranges: ranges, logEnd: logEnd, checkpoint: checkpoint, typedTables: typedTables)
    }

    private func compare(_ range: Range<UInt64>, on connection: PostgresConnection) async throws -> RangeReport {
        let records = try log.read(from: range.lowerBound, limit: Int(range.count))
        let logger = self.logger
        return try await connection.withTransaction(logger: logger) { connection in
            _ = try await EventRows(records).insertNew(into: "verify_staging", on: connection, logger: logger)
            let low = Int64(range.lowerBound), high = Int64(range.upperBound)
            var report = RangeReport(positions: range, logCount: 0, tableCount: 0, logHash: "", tableHash: "")
            for try await (logCount, logHash, tableCount, tableHash) in try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT (SELECT count(*) FROM verify_staging),
                       (SELECT md5(coalesce(string_agg(\(Self.rowText), E'\\n' ORDER BY position), '')) FROM verify_staging),
                       (SELECT count(*) FROM events WHERE position >= $1 AND position < $2),
                       (SELECT md5(coalesce(string_agg(\(Self.rowText), E'\\n' ORDER BY position), ''))
                          FROM events WHERE position >= $1 AND position < $2)
                """, binds: Self.binds(low, high)), logger: logger).decode((Int64, String, Int64, String).self) {
                report.logCount = Int(logCount)
                report.logHash = logHash
                report.tableCount = Int(tableCount)
                report.tableHash = tableHash
            }
            if !report.isEqual {
                for try await position in try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT coalesce(s.position, e.position)
                    FROM verify_staging s
                    FULL JOIN (SELECT * FROM events WHERE position >= $1 AND position < $2) e USING (position)
                    WHERE s.event_id IS DISTINCT FROM e.event_id OR s.type IS DISTINCT FROM e.type
                       OR s.schema_version IS DISTINCT FROM e.schema_version
                       OR s.occurred_at IS DISTINCT FROM e.occurred_at OR s.payload IS DISTINCT FROM e.payload
                       OR s.record IS DISTINCT FROM e.record
                    ORDER BY 1 LIMIT 1
                    """, binds: Self.binds(low, high)), logger: logger).decode(Int64.self) {
                    report.firstDifference = UInt64(position)
                }
            }
            return report
        }
    }

    private static func binds(_ low: Int64, _ high: Int64) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(low)
        binds.append(high)
        return binds
    }
}
