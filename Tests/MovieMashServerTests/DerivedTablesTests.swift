import Foundation
import MovieMashCore
import MovieMashServer
@testable import PostgresMirror
import PostgresNIO
import Projections
import Testing
import TestSupport

/// The writer copies its Bradley–Terry fit and factor model into the `derived` schema, and the example
/// questions over them answer as an analyst.
@Suite(.serialized) struct DerivedTablesTests {
    @Test func theWriterWritesItsFitAndModelAndAnalystsQueryThem() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        let events = sampleLogEvents(seed: 8, films: 80, sets: 30, voters: 25, votes: 1500).events
        try await writeClosedLog(events, to: directory.file("log"))
        var configuration = ServerConfiguration(data: directory.file("log"))
        configuration.gateway.port = 0
        configuration.postgres = database.url
        configuration.derivedInterval = .milliseconds(200)
        let node = try await startNode(configuration)
        let end = events.count
        @Sendable func text(_ sql: String) async throws -> [String?] {
            try await PostgresTesting.withConnection(database.url) { try await PostgresTesting.strings(sql, on: $0) }
        }
        // The fit covers the whole log; the model is the first training's (the next comes after 10,000 more events).
        #expect(try await eventually(timeout: .seconds(120)) {
            guard let model = node.server.projectors.recommender.latestTraining else { return false }
            let written = try? await text("""
                SELECT (SELECT count(*) FROM derived.leaderboard_fits WHERE position = \(end))::text || ' ' ||
                       (SELECT count(*) FROM derived.models WHERE position = \(model.position))::text
                """)
            return written == ["2 1"]
        }, "no fit of position \(end) or no model in derived tables")

        // The sets board is the writer's, item for item.
        let standings = node.server.projectors.leaderboards.current
        #expect(standings.position == UInt64(end))
        let rows = try await text("""
            SELECT e.item || ' ' || round(e.rating::numeric, 6)::text || ' ' || e.rank::text || ' ' || e.comparisons::text
            FROM derived.leaderboard_entries e JOIN derived.leaderboard_fits f USING (fit_id)
            WHERE f.board = 'sets' AND f.position = \(end) ORDER BY e.rating DESC, e.item
            """)
        let expected = standings.sets.entries.map { entry in
            "\(entry.item) \(String(format: "%.6f", entry.standing.rating)) \(entry.standing.rank) \(entry.standing.comparisons)"
        }
        #expect(rows.count == 30)
        #expect(Set(rows.compactMap { $0 }) == Set(expected))
        #expect(try await text("SELECT count(*)::text FROM derived.leaderboard_entries e JOIN derived.leaderboard_fits f USING (fit_id) WHERE f.board = 'films'")
            == ["\(standings.films.entries.count)"])
        // Each fit row names the model and carries the id the API shows for it.
        #expect(try await text("SELECT board || ' ' || model || ' ' || api_fit_id::text FROM derived.leaderboard_fits ORDER BY board")
            == ["films film-teams \(standings.id!)", "sets sets \(standings.id!)"])

        // Film factors and every voter's recommendations, as the gateway answers them (films met only in
        // sets the voter voted against last).
        let model = try #require(node.server.projectors.recommender.latestTraining)
        #expect(!model.films.isEmpty)
        #expect(try await text("SELECT count(*)::text FROM derived.movie_features WHERE cardinality(factors) = \(model.factors)")
            == ["\(model.films.count)"])
        let first = try #require(model.films.first)
        #expect(try await text("SELECT factors::text FROM derived.movie_features WHERE movie_id = '\(first.movie)'")
            == ["{" + first.factors.map { "\($0)" }.joined(separator: ",") + "}"])
        let voter = try #require(node.server.projectors.recommender.voters.first)
        let avoiding = node.server.projectors.voterHistory.current.state
            .choices(of: voter, catalogue: node.server.projectors.catalogue.current.state).rejectedOnly
        let picks = node.server.projectors.recommender.recommendations(for: .voter(voter), count: 10, avoiding: avoiding)
        #expect(!picks.isEmpty)
        #expect(try await text("SELECT movie_id FROM derived.recommendations WHERE user_id = '\(voter)' ORDER BY rank")
            == picks.map { $0.film.description })

        // The questions over them, as an analyst.
        let role = "analyst_" + UUID().uuidString.prefix(8).lowercased()
        _ = try await text("CREATE ROLE \(role) LOGIN PASSWORD 'derived-tables' IN ROLE moviemash_analyst")
        let admin = database.url.configuration
        let analyst = try PostgresURL("postgres://\(role):derived-tables@\(admin.host!):\(admin.port!)/\(database.name)")
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/derived-queries.sql"), encoding: .utf8)
        let questions = file.components(separatedBy: "-- question:").dropFirst()
        #expect(questions.count == 4)
        try await PostgresTesting.withConnection(analyst) { connection in
            for block in questions {
                let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
                let statements = SQLScript.statements(lines.dropFirst().joined(separator: "\n"))
                try #require(statements.count == 1)
                let answer = try await PostgresTesting.strings("SELECT count(*)::text FROM (\(statements[0])) answer", on: connection)
                #expect(Int(answer[0] ?? "0")! > 0, "no answer to:\(lines[0])")
            }
        }
        await node.group.triggerGracefulShutdown()
        try await node.running.value
        await database.drop()
        _ = try? await PostgresTesting.withConnection(database.admin) {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(role)"), logger: PostgresTesting.logger)
        }
    }
}
