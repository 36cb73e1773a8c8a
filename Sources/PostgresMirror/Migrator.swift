import Logging
import PostgresNIO

/// Brings a database to the schema of `Schemas/sql`: each pending migration in its own transaction,
/// recorded in `schema_migrations`; concurrent migrators wait for each other (an advisory lock).
public struct Migrator: Sendable {
    /// The advisory lock key migrators share ("MMmigrat").
    static let lockKey: Int64 = 0x4D4D_6D69_6772_6174

    let connection: PostgresConnection
    let logger: Logger
    let target: String

    public init(connection: PostgresConnection, target: String, logger: Logger) {
        self.connection = connection
        self.target = target
        self.logger = logger
    }

    /// Connects to `url`, applies this build's migrations that the database lacks, and returns them.
    @discardableResult
    public static func migrate(_ url: PostgresURL, logger: Logger) async throws(MirrorError) -> [Migration] {
        let migrations = try Migration.bundled()
        return try await url.withConnection(logger: logger) { connection in
            try await Migrator(connection: connection, target: url.redacted, logger: logger).migrate(migrations)
        }
    }

    /// Applies the migrations not applied yet and returns them; running it again applies nothing.
    ///
    /// Fails, changing nothing more, if an applied migration's text changed or the database has a migration
    /// this build does not know (it was migrated by a newer build).
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws(MirrorError) -> [Migration] {
        do {
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            let outcome: Result<[Migration], any Error>
            do {
                outcome = .success(try await migrateHoldingLock(migrations))
            } catch {
                outcome = .failure(error)
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return try outcome.get()
        } catch {
            throw MirrorError.describe(error, target: target)
        }
    }

    private func migrateHoldingLock(_ migrations: [Migration]) async throws -> [Migration] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        try await connection.query("REVOKE ALL ON schema_migrations FROM PUBLIC", logger: logger)
        var applied: [Int: (name: String, checksum: String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String, String).self) {
            applied[version] = (name, checksum)
        }
        if let unknown = applied.keys.sorted().first(where: { $0 > migrations.count }) {
            throw MirrorError(
                .migration,
                "the database has migration \(unknown) (\(applied[unknown]!.name)) that this build does not know; use a newer MovieMash")
        }
        var done: [Migration] = []
        for migration in migrations {
            if let existing = applied[migration.version] {
                guard existing.checksum == migration.checksum else {
                    throw MirrorError(
                        .migration,
                        "migration \(migration.name) changed after it was applied (checksum \(existing.checksum), now \(migration.checksum)); add a new migration instead")
                }
                continue
            }
            try await apply(migration)
            done.append(migration)
            logger.info("applied migration", metadata: ["migration": "\(migration.name)", "database": "\(target)"])
        }
        return done
    }

    private func apply(_ migration: Migration) async throws {
        let statements = SQLScript.statements(migration.sql)
        do {
            try await connection.withTransaction(logger: logger) { connection in
                for (number, statement) in statements.enumerated() {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch {
                        let reason = MirrorError.describe(error, target: target).message
                        throw MirrorError(
                            .migration,
                            "migration \(migration.name) failed at statement \(number + 1) of \(statements.count) and was rolled back: \(reason)")
                    }
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
        } catch let error as PostgresTransactionError {
            throw MirrorError.describe(error, target: target)
        }
    }
}
