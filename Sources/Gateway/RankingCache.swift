import MovieMashCore
import Projections
import Synchronization

/// The leaderboards' order, ranked once per fit instead of sorted on every request: every set and film
/// by its Bradley–Terry rating, those the fit does not cover by Elo (then the base rating), ties by id.
/// A new fit or a grown catalogue ranks again.
final class RankingCache: Sendable {
    private struct Ranked {
        var fit: UInt64
        var sets: [SetID]
        var films: [MovieID]
        var setCount: Int
        var filmCount: Int
    }

    private let cached = Mutex<Ranked?>(nil)

    /// Sets, best first, as of `standings`.
    func sets(catalogue: Catalogue, elo: EloRatings, standings: LeaderboardService.Standings) -> [SetID] {
        ranked(catalogue: catalogue, elo: elo, standings: standings).sets
    }

    /// Films, best first, as of `standings`.
    func films(catalogue: Catalogue, elo: EloRatings, standings: LeaderboardService.Standings) -> [MovieID] {
        ranked(catalogue: catalogue, elo: elo, standings: standings).films
    }

    private func ranked(catalogue: Catalogue, elo: EloRatings, standings: LeaderboardService.Standings) -> Ranked {
        if let current = cached.withLock({ $0 }), current.fit == standings.position,
           current.setCount == catalogue.sets.count, current.filmCount == catalogue.movies.count {
            return current
        }
        let base = elo.configuration.base
        let sets = catalogue.sets.keys.map { ($0, standings.sets[$0]?.rating ?? elo.rating(of: $0) ?? base) }
            .sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
        let films = catalogue.movies.keys.map { ($0, standings.films[$0]?.rating ?? elo.rating(of: $0) ?? base) }
            .sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
        let ranked = Ranked(fit: standings.position, sets: sets, films: films, setCount: catalogue.sets.count, filmCount: catalogue.movies.count)
        cached.withLock { $0 = ranked }
        return ranked
    }
}
