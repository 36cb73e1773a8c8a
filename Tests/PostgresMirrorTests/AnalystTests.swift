import EventLog
import Foundation
import MovieMashCore
import PostgresNIO
import Testing
import TestSupport

@testable import PostgresMirror

/// The analyst role and the example questions, on a mirrored sample whose votes are from the last day.
@Suite(.serialized) struct AnalystTests {
    /// A mirrored database and a login in `moviemash_analyst`; `body` gets the analyst's URL.
    private func withAnalyst(_ body: (PostgresURL) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var sample = SampleEvents(seed: 9, films: 60, sets: 20, voters: 30, start: Timestamp(milliseconds: now - 86_400_000))
        var events = sample.catalogueEvents() + (0..<600).map { _ in sample.nextVote() }
        let unvoted = try Top4SetScraped(
            letterboxdUser: "never_compared", movieIDs: Array(sample.movies.prefix(4).map(\.movieID)),
            scrapedAt: Timestamp(milliseconds: now))
        events.append(EventEnvelope(occurredAt: Timestamp(milliseconds: now), event: .top4SetScraped(unvoted)))
        let log = try await writeLog(events.map {
            LogRecord(id: $0.eventID, timestamp: $0.occurredAt.milliseconds, payload: EventCodec.encode($0.event, occurredAt: $0.occurredAt))
        }, to: directory.path)
        try await backfill(log, into: database.url)

        let role = "analyst_" + UUID().uuidString.prefix(8).lowercased()
        let password = UUID().uuidString
        _ = try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD '\(password)' IN ROLE moviemash_analyst"), logger: PostgresTesting.logger)
        }
        let admin = database.url.configuration
        let analyst = try PostgresURL("postgres://\(role):\(password)@\(admin.host!):\(admin.port!)/\(database.name)")
        do {
            try await body(analyst)
        } catch {
            await cleanUp(database, role)
            throw error
        }
        await cleanUp(database, role)
        try await log.close()
    }

    private func cleanUp(_ database: TestDatabase, _ role: String) async {
        await database.drop()
        _ = try? await PostgresTesting.withConnection(database.admin) {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(role)"), logger: PostgresTesting.logger)
        }
    }

    @Test func analystsReadEveryViewButNeitherEventsNorPasswordHashes() async throws {
        try await withAnalyst { analyst in
            try await PostgresTesting.withConnection(analyst) { connection in
                for view in ["movies", "top4_sets", "votes", "comparisons", "users_public"] {
                    let count = try await PostgresTesting.strings("SELECT count(*)::text FROM \(view)", on: connection)
                    #expect(Int(count[0] ?? "0")! > 0, "\(view) is empty or unreadable")
                    let text = try await PostgresTesting.strings("SELECT coalesce(string_agg(v::text, ' '), '') FROM \(view) v", on: connection)
                    #expect(!(text[0] ?? "").contains("$2b$"), "\(view) exposes a password hash")
                }
                for table in ["events", "mirror_checkpoint", "schema_migrations"] {
                    await #expect(throws: (any Error).self, "\(table) must not be readable") {
                        _ = try await PostgresTesting.strings("SELECT count(*)::text FROM \(table)", on: connection)
                    }
                }
                let columns = try await PostgresTesting.strings(
                    "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users_public'",
                    on: connection)
                #expect(columns == ["user_id,username,registered_at"])
            }
        }
    }

    @Test func everyExampleQuestionAnswersOnRealData() async throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/analyst-queries.sql"), encoding: .utf8)
        let questions = text.components(separatedBy: "-- question:").dropFirst().map { block in
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines[0]).trimmingCharacters(in: .whitespaces),
                    SQLScript.statements(lines.dropFirst().joined(separator: "\n")))
        }
        #expect(questions.count >= 8)
        try await withAnalyst { analyst in
            try await PostgresTesting.withConnection(analyst) { connection in
                for (question, statements) in questions {
                    try #require(statements.count == 1, "\(question)")
                    let rows = try await PostgresTesting.strings(
                        "SELECT count(*)::text FROM (\(statements[0])) answer", on: connection)
                    #expect(Int(rows[0] ?? "0")! > 0, "no answer to: \(question)")
                }
            }
        }
    }
}
