import Foundation
import PostgresNIO
import Testing
import TestSupport

@testable import PostgresMirror

@Suite struct MigrationTests {
    @Test func theBinaryAppliesExactlyTheFilesOfSchemasSQL() throws {
        let files = try Migration.load(from: repositoryRoot.appendingPathComponent("Schemas/sql"))
        #expect(try Migration.bundled() == files)
        #expect(files.map(\.name) == ["001_events", "002_analyst_views", "003_analyst_role", "004_replica_role", "005_analytics_tables", "006_derived_tables", "007_personal_data", "008_film_teams", "009_event_records", "010_analytics_by_position", "011_writer_lease", "012_pairs_in_order"])
    }

    @Test func migratingTwiceAppliesEverythingThenNothing() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let bundled = try Migration.bundled()
        #expect(try await Migrator.migrate(database.url, logger: PostgresTesting.logger).count == bundled.count)
        #expect(try await Migrator.migrate(database.url, logger: PostgresTesting.logger).isEmpty)
        let versions = try await PostgresTesting.withConnection(database.url) {
            try await PostgresTesting.strings("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations", on: $0)
        }
        #expect(versions == [(1...bundled.count).map(String.init).joined(separator: ",")])
    }

    @Test func concurrentMigratorsWaitForEachOther() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 { group.addTask { try await Migrator.migrate(database.url, logger: PostgresTesting.logger).count } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(applied.sorted() == [0, 0, try Migration.bundled().count])
    }

    @Test func aFailingMigrationLeavesTheDatabaseAsItWas() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let bundled = try Migration.bundled()
        let name = String(format: "%03d_broken", bundled.count + 1)
        let broken = Migration(version: bundled.count + 1, name: name, sql: """
            CREATE TABLE broken_probe (x integer);
            INSERT INTO broken_probe VALUES (1);
            SELECT no_such_function();
            """)
        let error = await #expect(throws: MirrorError.self) {
            try await PostgresTesting.withConnection(database.url) { connection in
                try await Migrator(connection: connection, target: "test", logger: PostgresTesting.logger)
                    .migrate(bundled + [broken])
            }
        }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("\(name) failed at statement 3 of 3 and was rolled back") == true)
        let state = try await PostgresTesting.withConnection(database.url) { connection in
            try await PostgresTesting.strings("""
                SELECT (SELECT max(version) FROM schema_migrations)::text || ' ' || (to_regclass('broken_probe') IS NULL)::text
                """, on: connection)
        }
        #expect(state == ["\(bundled.count) true"])
    }

    @Test func aChangedOrUnknownMigrationIsRefused() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        try await Migrator.migrate(database.url, logger: PostgresTesting.logger)
        var changed = try Migration.bundled()
        changed[1] = Migration(version: 2, name: changed[1].name, sql: changed[1].sql + "\n-- edited\n")
        try await PostgresTesting.withConnection(database.url) { connection in
            let migrator = Migrator(connection: connection, target: "test", logger: PostgresTesting.logger)
            await #expect { try await migrator.migrate(changed) } throws: {
                ($0 as? MirrorError)?.message.contains("002_analyst_views changed after it was applied") == true
            }
            await #expect { try await migrator.migrate(Array(changed.prefix(2))) } throws: {
                ($0 as? MirrorError)?.message.contains("does not know") == true
            }
        }
    }

    @Test func scriptsSplitAtTopLevelSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (x text DEFAULT 'a;b');
            /* block; comment */ INSERT INTO t VALUES ('it''s; fine');
            DO $$ BEGIN PERFORM 1; END $$;
            DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$;
            SELECT "odd;name" FROM t
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 5)
        #expect(statements[0].hasSuffix("CREATE TABLE t (x text DEFAULT 'a;b')"))
        #expect(statements[2] == "DO $$ BEGIN PERFORM 1; END $$")
        #expect(statements[3] == "DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$")
        #expect(statements[4] == "SELECT \"odd;name\" FROM t")
    }

    @Test func urlsAreCheckedWithClearErrors() throws {
        let url = try PostgresURL("postgresql://ana:s%40cret@db.example:6543/movies?sslmode=disable&connect_timeout=3")
        #expect(url.configuration.username == "ana")
        #expect(url.configuration.password == "s@cret")
        #expect(url.configuration.database == "movies")
        #expect(url.configuration.port == 6543)
        #expect(url.redacted == "postgresql://ana@db.example:6543/movies")
        #expect(try PostgresURL("postgres://ana@db").configuration.database == "ana")
        for (text, reason) in [
            ("mysql://a@b/c", "scheme"), ("postgres://b/c", "no user"), ("postgres://a@/c", "no host"),
            ("postgres://a@b/c?sslmode=maybe", "unsupported parameter"), ("postgres://a:pw@b/c/d", "just the database"),
        ] {
            #expect { try PostgresURL(text) } throws: { error in
                let error = error as? MirrorError
                return error?.code == .invalidURL && error?.message.contains(reason) == true
                    && error?.message.contains("pw") == false
            }
        }
    }
}
