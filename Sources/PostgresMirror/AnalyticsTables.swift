import Logging
import PostgresNIO

/// The analysts' typed tables (schema `analytics`, migration 005). PostgreSQL keeps them from `events` in
/// the transaction of every insert; this rebuilds them from scratch, for a schema fix or after a hand edit.
public struct AnalyticsTables: Sendable {
    let url: PostgresURL
    let logger: Logger

    public init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// Empties the typed tables and derives them again from every row of `events`, in one transaction
    /// that holds off the mirror meanwhile; returns how many log positions it derived from.
    public func rebuild() async throws(MirrorError) -> UInt64 {
        try await url.withConnection(logger: logger) { connection in
            try await Migrator(connection: connection, target: url.redacted, logger: logger).migrate(Migration.bundled())
            // One statement, so one transaction: analytics.rebuild takes its lock inside it.
            let ends = try await connection.values("SELECT analytics.rebuild()", as: Int64.self, logger: logger)
            return UInt64(ends.first ?? 0)
        }
    }
}
