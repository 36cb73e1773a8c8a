import Foundation
import Logging
import MovieMashCore
import PostgresNIO

/// Writes the `derived` schema (migrations 006 and 008): the writer's Bradley–Terry fits and factor model as
/// rows analysts can query, each write one transaction. A write repeated (after a lost reply, or a
/// restart that fits the same position again) changes nothing.
public struct DerivedTables: Sendable {
    /// One fitted board: every item best first, at the log position of the counts it used.
    public struct Fit: Sendable {
        public struct Entry: Sendable {
            public var item: String
            public var rating: Double
            public var lower: Double
            public var upper: Double
            public var rank: Int
            public var comparisons: Int

            public init(item: String, rating: Double, lower: Double, upper: Double, rank: Int, comparisons: Int) {
                (self.item, self.rating, self.lower, self.upper, self.rank, self.comparisons) = (item, rating, lower, upper, rank, comparisons)
            }
        }

        /// `sets` or `films`.
        public var board: String
        /// The log position the fit covers, which is also its id in the HTTP API (`fit.id`).
        public var position: UInt64
        public var fittedAt: Date
        public var entries: [Entry]

        public init(board: String, position: UInt64, fittedAt: Date, entries: [Entry]) {
            (self.board, self.position, self.fittedAt, self.entries) = (board, position, fittedAt, entries)
        }

        /// The model the board was fitted with (migration 008): `sets`, or `film-teams` for films.
        var model: String { board == "sets" ? "sets" : "film-teams" }
    }

    /// One trained model: its film factors and its recommendations for the voters it knows.
    public struct Model: Sendable {
        public struct Recommendation: Sendable {
            public var user: UUID
            public var rank: Int
            public var movieID: String
            public var score: Float?
            public var reason: String

            public init(user: UUID, rank: Int, movieID: String, score: Float?, reason: String) {
                (self.user, self.rank, self.movieID, self.score, self.reason) = (user, rank, movieID, score, reason)
            }
        }

        public var position: UInt64
        public var trainedAt: Date
        public var factors: Int
        public var films: [(movieID: String, factors: [Float])]
        public var recommendations: [Recommendation]

        public init(position: UInt64, trainedAt: Date, factors: Int, films: [(movieID: String, factors: [Float])], recommendations: [Recommendation]) {
            (self.position, self.trainedAt, self.factors, self.films, self.recommendations) = (position, trainedAt, factors, films, recommendations)
        }
    }

    let url: PostgresURL
    let logger: Logger
    /// Fits older than this are thinned to the first of each day and board.
    let fullHistory: Duration

    public init(url: PostgresURL, fullHistory: Duration = .seconds(35 * 86_400), logger: Logger) {
        self.url = url
        self.fullHistory = fullHistory
        self.logger = logger
    }

    /// Writes `fits` (the boards of one fit) in one transaction, and thins old history.
    public func write(_ fits: [Fit]) async throws(MirrorError) {
        let days = Int64(fullHistory / .seconds(86_400))
        try await transaction { connection, logger in
            for fit in fits {
                var binds = PostgresBindings()
                binds.append(fit.board)
                binds.append(Int64(fit.position))
                binds.append(fit.model)
                binds.append(Self.timestamp(fit.fittedAt))
                binds.append(Int32(fit.entries.count))
                binds.append(fit.entries.map(\.item))
                binds.append(fit.entries.map(\.rating))
                binds.append(fit.entries.map(\.lower))
                binds.append(fit.entries.map(\.upper))
                binds.append(fit.entries.map { Int32($0.rank) })
                binds.append(fit.entries.map { Int32($0.comparisons) })
                try await connection.query(PostgresQuery(unsafeSQL: """
                    WITH fit AS (
                        INSERT INTO derived.leaderboard_fits (board, position, api_fit_id, model, fitted_at, items)
                        VALUES ($1, $2, $2, $3, $4::text::timestamptz, $5) ON CONFLICT (board, position) DO NOTHING RETURNING fit_id)
                    INSERT INTO derived.leaderboard_entries (fit_id, item, rating, lower, upper, rank, comparisons)
                    SELECT fit.fit_id, e.* FROM fit,
                        unnest($6::text[], $7::float8[], $8::float8[], $9::float8[], $10::int4[], $11::int4[]) AS e
                    """, binds: binds), logger: logger)
            }
            try await connection.query(PostgresQuery(unsafeSQL: """
                DELETE FROM derived.leaderboard_fits
                WHERE fitted_at < now() - interval '\(days) days'
                  AND fit_id NOT IN (SELECT min(fit_id) FROM derived.leaderboard_fits GROUP BY board, date_trunc('day', fitted_at))
                """), logger: logger)
        }
    }

    /// Records `model` and replaces the film factors and recommendations with its, in one transaction.
    public func write(_ model: Model) async throws(MirrorError) {
        try await transaction { connection, logger in
            var binds = PostgresBindings()
            binds.append(Int64(model.position))
            binds.append(Self.timestamp(model.trainedAt))
            binds.append(Int32(model.factors))
            let ids = try await connection.values(PostgresQuery(unsafeSQL: """
                INSERT INTO derived.models (position, trained_at, factors) VALUES ($1, $2::text::timestamptz, $3)
                ON CONFLICT (position) DO NOTHING RETURNING model_id
                """, binds: binds), as: Int64.self, logger: logger)
            guard let id = ids.first else { return }
            try await connection.query("DELETE FROM derived.recommendations", logger: logger)
            try await connection.query("DELETE FROM derived.movie_features", logger: logger)
            var films = PostgresBindings()
            films.append(id)
            films.append(model.films.map(\.movieID))
            // One text array literal per film: a two-dimensional array bind would need equal lengths anyway.
            films.append(model.films.map { "{" + $0.factors.map { "\($0)" }.joined(separator: ",") + "}" })
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO derived.movie_features (model_id, movie_id, factors)
                SELECT $1, f.movie_id, f.factors::real[] FROM unnest($2::text[], $3::text[]) AS f(movie_id, factors)
                """, binds: films), logger: logger)
            var picks = PostgresBindings()
            picks.append(id)
            picks.append(model.recommendations.map(\.user))
            picks.append(model.recommendations.map { Int32($0.rank) })
            picks.append(model.recommendations.map(\.movieID))
            picks.append(model.recommendations.map { $0.score.map { "\($0)" } ?? "" })
            picks.append(model.recommendations.map(\.reason))
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO derived.recommendations (model_id, user_id, rank, movie_id, score, reason)
                SELECT $1, r.user_id, r.rank, r.movie_id, nullif(r.score, '')::real, r.reason
                FROM unnest($2::uuid[], $3::int4[], $4::text[], $5::text[], $6::text[]) AS r(user_id, rank, movie_id, score, reason)
                """, binds: picks), logger: logger)
        }
    }

    private static func timestamp(_ date: Date) -> String {
        Timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded())).description
    }

    private func transaction(_ body: @Sendable (PostgresConnection, Logger) async throws -> Void) async throws(MirrorError) {
        try await url.withConnection(logger: logger) { connection in
            try await connection.withTransaction(logger: logger) { try await body($0, logger) }
        }
    }
}
