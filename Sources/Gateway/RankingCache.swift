import MovieMashCore
import Projections
import Synchronization

/// The leaderboards' order, ranked once per fit instead of sorted on every request: the fit's items in its
/// order, then the catalogue's items the fit does not cover (newer than it) by Elo (then the base rating),
/// ties by id. A fit's order is frozen when first asked for, so every page of one fit agrees however the
/// catalogue grows meanwhile; before the first fit, everything is ranked by Elo as the catalogue grows.
final class RankingCache: Sendable {
    struct Ranked {
        var sets: [SetID]
        var films: [MovieID]
        var setCount: Int
        var filmCount: Int
    }

    /// By fit id; nil is the Elo order before any fit.
    private let cached = Mutex<[UInt64?: Ranked]>([:])
    /// Orders kept: as many fits as the leaderboards keep.
    private let capacity = 16

    func ranked(catalogue: Catalogue, elo: EloRatings, standings: LeaderboardService.Standings) -> Ranked {
        let key = standings.id
        if let current = cached.withLock({ $0[key] }),
           key != nil || (current.setCount == catalogue.sets.count && current.filmCount == catalogue.movies.count) {
            return current
        }
        let base = elo.configuration.base
        let fittedSets = standings.sets.entries.map(\.item).filter { catalogue.sets[$0] != nil }
        let fittedFilms = standings.films.entries.map(\.item).filter { catalogue.movies[$0] != nil }
        let sets = fittedSets + catalogue.sets.keys.filter { standings.sets[$0] == nil }
            .map { ($0, elo.rating(of: $0) ?? base) }.sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
        let films = fittedFilms + catalogue.movies.keys.filter { standings.films[$0] == nil }
            .map { ($0, elo.rating(of: $0) ?? base) }.sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
        let ranked = Ranked(sets: sets, films: films, setCount: catalogue.sets.count, filmCount: catalogue.movies.count)
        return cached.withLock { cached in
            // The first request of a fit ranks it; a racing one keeps the order already stored.
            if key != nil, let stored = cached[key] { return stored }
            cached[key] = ranked
            if key != nil { cached[nil] = nil }
            while cached.count > capacity, let oldest = cached.keys.compactMap({ $0 }).min() { cached[oldest] = nil }
            return ranked
        }
    }
}
