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
    private func withAnalyst(_ body: (_ analyst: PostgresURL, _ admin: PostgresURL, _ log: EventLog) async throws -> Void) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var sample = SampleEvents(seed: 9, films: 60, sets: 20, voters: 30, start: Timestamp(milliseconds: now - 86_400_000))
        var events = sample.catalogueEvents() + (0..<300).map { _ in sample.nextVote() }
        let at = Timestamp(milliseconds: now)
        let unvoted = try Top4SetScraped(
            letterboxdUser: "never_compared", movieIDs: Array(sample.movies.prefix(4).map(\.movieID)), scrapedAt: at)
        // What the typed tables fold rather than append: a film catalogued again, a set scraped again, and
        // an owner whose favourites changed (their earlier set is no longer current).
        let film = sample.movies[7]
        let recatalogued = try MovieCatalogued(
            movieID: film.movieID, letterboxdID: film.letterboxdID, title: film.title + " (Director's Cut)", year: nil,
            directors: film.directors, genres: film.genres + ["War"])
        let rescraped = try Top4SetScraped(letterboxdUser: sample.sets[0].letterboxdUser, movieIDs: sample.sets[0].movieIDs, scrapedAt: at)
        let changed = try Top4SetScraped(
            letterboxdUser: sample.sets[1].letterboxdUser, movieIDs: Array(sample.movies.suffix(4).map(\.movieID)), scrapedAt: at)
        // A voter who erased their account: their row says when, and keeps no name.
        let erased = UserErased(userID: sample.voters[3].userID)
        events += [.top4SetScraped(unvoted), .movieCatalogued(recatalogued), .top4SetScraped(rescraped), .top4SetScraped(changed), .userErased(erased)]
            .map { EventEnvelope(occurredAt: at, event: $0) }
        events += (0..<300).map { _ in sample.nextVote() }
        let log = try await writeLog(events.map {
            LogRecord(id: $0.eventID, timestamp: $0.occurredAt.milliseconds, payload: EventCodec.encode($0.event, occurredAt: $0.occurredAt))
        }, to: directory.path)
        // Small batches, so the typed tables are folded batch by batch, as the live mirror does.
        try await backfill(log, into: database.url, batchSize: 97)

        let role = "analyst_" + UUID().uuidString.prefix(8).lowercased()
        let password = UUID().uuidString
        _ = try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD '\(password)' IN ROLE moviemash_analyst"), logger: PostgresTesting.logger)
        }
        let admin = database.url.configuration
        let analyst = try PostgresURL("postgres://\(role):\(password)@\(admin.host!):\(admin.port!)/\(database.name)")
        do {
            try await body(analyst, database.url, log)
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
        try await withAnalyst { analyst, _, _ in
            try await PostgresTesting.withConnection(analyst) { connection in
                for view in ["movies", "top4_sets", "votes", "comparisons", "users_public", "analytics.votes", "analytics.films",
                             "analytics.sets", "analytics.set_films", "analytics.voters"] {
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
                // The derivation functions read events: not the analysts'.
                for call in ["analytics.vote_rows(0, 1000000)", "analytics.voter_rows(0, 1000000)", "analytics.differences()"] {
                    await #expect(throws: (any Error).self, "\(call) must not be callable") {
                        _ = try await PostgresTesting.strings("SELECT count(*)::text FROM \(call)", on: connection)
                    }
                }
                await #expect(throws: (any Error).self, "analysts must not rebuild") {
                    _ = try await PostgresTesting.strings("SELECT analytics.rebuild()::text", on: connection)
                }
                let columns = try await PostgresTesting.strings(
                    "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users_public'",
                    on: connection)
                #expect(columns == ["user_id,registered_at,erased_at"], "no name, sealed or not, reaches analysts")
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
        try await withAnalyst { analyst, admin, _ in
            try await PostgresTesting.withConnection(admin) { connection in
                for statement in SQLScript.statements(Self.referenceViews) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: PostgresTesting.logger)
                }
            }
            // Every row of an answer, in its order, as text.
            func answer(_ sql: String, on connection: PostgresConnection) async throws -> [String] {
                try await PostgresTesting.strings("SELECT answer::text FROM (\(sql)) answer", on: connection).map { $0 ?? "NULL" }
            }
            try await PostgresTesting.withConnection(analyst) { typed in
                try await PostgresTesting.withConnection(admin) { reference in
                    try await reference.query("SET search_path = reference_json, public", logger: PostgresTesting.logger)
                    for (question, statements) in questions {
                        try #require(statements.count == 1, "\(question)")
                        let rows = try await answer(statements[0], on: typed)
                        #expect(!rows.isEmpty, "no answer to: \(question)")
                        let expected = try await answer(statements[0], on: reference)
                        #expect(rows == expected, "typed tables and the JSON of events disagree on: \(question)")
                    }
                }
            }
        }
    }

    /// Each mirror transaction folds its own few events: the derivation must read them by position alone.
    /// Without statistics (a table that grew faster than autovacuum analyses it, or a generic plan) the
    /// planner once ANDed the position range with the (type, occurred_at) index, reading every event of the
    /// type for each transaction.
    @Test func theTypedTablesReadARangeByPositionWhateverTheStatistics() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        _ = try await Migrator.migrate(database.url, logger: PostgresTesting.logger)
        _ = try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query("ALTER TABLE events SET (autovacuum_enabled = false)", logger: PostgresTesting.logger)
        }
        var sample = SampleEvents(seed: 4, films: 40, sets: 30, voters: 20, start: Timestamp(milliseconds: 1_700_000_000_000))
        let events = sample.catalogueEvents() + (0..<3_000).map { _ in sample.nextVote() }
        let log = try await writeLog(events.map {
            LogRecord(id: $0.eventID, timestamp: $0.occurredAt.milliseconds, payload: EventCodec.encode($0.event, occurredAt: $0.occurredAt))
        }, to: directory.path)
        try await backfill(log, into: database.url, batchSize: 1_000)
        let plans = try await PostgresTesting.withConnection(database.url) { connection in
            var plans: [String] = []
            for function in ["vote_rows", "film_rows", "set_rows", "voter_rows", "event_kinds"] {
                let lines = try await PostgresTesting.strings(
                    "EXPLAIN SELECT * FROM analytics.\(function)(2000, 2010)", on: connection).compactMap { $0 }
                plans.append("\(function): " + lines.joined(separator: " / "))
            }
            return plans
        }
        for plan in plans {
            #expect(plan.contains("events_pkey") && !plan.contains("events_type_occurred_at"), "\(plan)")
        }
        try await log.close()
    }

    @Test func typedTablesAreEqualAfterARebuildAndVerifyCatchesADrift() async throws {
        try await withAnalyst { _, admin, log in
            let tables = ["analytics.votes", "analytics.films", "analytics.sets", "analytics.set_films", "analytics.voters"]
            func contents() async throws -> [String] {
                try await PostgresTesting.withConnection(admin) { connection in
                    var all: [String] = []
                    for table in tables {
                        all += try await PostgresTesting.strings(
                            "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM \(table) t", on: connection).map { $0 ?? "" }
                    }
                    return all
                }
            }
            let before = try await contents()
            #expect(before.allSatisfy { !$0.isEmpty })
            #expect(try await MirrorVerifier(log: log, url: admin, logger: PostgresTesting.logger).verify().isEqual)

            _ = try await PostgresTesting.withConnection(admin) { connection in
                try await connection.query("DELETE FROM analytics.votes WHERE position % 50 = 0", logger: PostgresTesting.logger)
                try await connection.query("UPDATE analytics.sets SET is_current = NOT is_current WHERE letterboxd_user = 'never_compared'", logger: PostgresTesting.logger)
            }
            let drifted = try await MirrorVerifier(log: log, url: admin, logger: PostgresTesting.logger).verify()
            #expect(!drifted.isEqual)
            #expect(drifted.ranges.allSatisfy { $0.isEqual }, "events itself is untouched")
            #expect(Dictionary(uniqueKeysWithValues: drifted.typedTables.map { ($0.table, $0.missing) })["votes"]! > 0)
            #expect(drifted.typedTables.first { $0.table == "sets" }.map { $0.missing == 1 && $0.extra == 1 } == true)

            let derived = try await AnalyticsTables(url: admin, logger: PostgresTesting.logger).rebuild()
            #expect(derived == log.endPosition)
            #expect(try await contents() == before)
            #expect(try await MirrorVerifier(log: log, url: admin, logger: PostgresTesting.logger).verify().isEqual)
        }
    }

    /// The analyst views as they were before the typed tables: straight over the JSON of `events`. The
    /// reference every example question's answer is checked against.
    static let referenceViews = """
        CREATE SCHEMA reference_json;

        CREATE VIEW reference_json.movies AS
        SELECT DISTINCT ON (payload ->> 'movieID')
            payload ->> 'movieID' AS movie_id, (payload ->> 'letterboxdID')::bigint AS letterboxd_id,
            payload ->> 'title' AS title, (payload ->> 'year')::integer AS year,
            ARRAY(SELECT jsonb_array_elements_text(payload -> 'directors')) AS directors,
            ARRAY(SELECT jsonb_array_elements_text(payload -> 'genres')) AS genres,
            occurred_at AS catalogued_at, position
        FROM events WHERE type = 'MovieCatalogued'
        ORDER BY payload ->> 'movieID', position DESC;

        CREATE VIEW reference_json.top4_sets AS
        WITH scraped AS (
            SELECT DISTINCT ON (payload ->> 'setID')
                payload ->> 'setID' AS set_id, payload ->> 'letterboxdUser' AS letterboxd_user,
                ARRAY(SELECT jsonb_array_elements_text(payload -> 'movieIDs')) AS movie_ids,
                (payload ->> 'scrapedAt')::timestamptz AS scraped_at, position
            FROM events WHERE type = 'Top4SetScraped'
            ORDER BY payload ->> 'setID', position DESC)
        SELECT scraped.*, position = max(position) OVER (PARTITION BY letterboxd_user) AS is_current FROM scraped;

        CREATE VIEW reference_json.votes AS
        SELECT (payload ->> 'voteID')::uuid AS vote_id, (payload ->> 'userID')::uuid AS user_id,
            payload ->> 'setA' AS set_a, payload ->> 'setB' AS set_b,
            CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setA' ELSE payload ->> 'setB' END AS winner_set,
            CASE payload ->> 'winner' WHEN 'setA' THEN payload ->> 'setB' ELSE payload ->> 'setA' END AS loser_set,
            (payload ->> 'ticketID')::uuid AS ticket_id, (payload ->> 'castAt')::timestamptz AS cast_at, position,
            least(payload ->> 'setA', payload ->> 'setB') AS set_low, greatest(payload ->> 'setA', payload ->> 'setB') AS set_high,
            (payload ->> CASE payload ->> 'winner' WHEN 'setA' THEN 'setA' ELSE 'setB' END) = least(payload ->> 'setA', payload ->> 'setB') AS low_won
        FROM events WHERE type = 'VoteCast';

        CREATE VIEW reference_json.comparisons AS
        SELECT least(set_a, set_b) AS set_low, greatest(set_a, set_b) AS set_high,
            count(*) FILTER (WHERE winner_set = least(set_a, set_b)) AS wins_low,
            count(*) FILTER (WHERE winner_set = greatest(set_a, set_b)) AS wins_high,
            count(*) AS votes, min(cast_at) AS first_vote_at, max(cast_at) AS last_vote_at
        FROM reference_json.votes GROUP BY least(set_a, set_b), greatest(set_a, set_b);

        CREATE VIEW reference_json.users_public AS
        SELECT (r.payload ->> 'userID')::uuid AS user_id, r.occurred_at AS registered_at,
            (SELECT min(x.occurred_at) FROM events x WHERE x.type = 'UserErased' AND x.payload ->> 'userID' = r.payload ->> 'userID') AS erased_at
        FROM events r WHERE r.type = 'UserRegistered';
        """

}
