import Foundation
import MovieMashCore

/// Where pages come from: Letterboxd itself (`LetterboxdFetcher`) or pages saved earlier (`SavedPages`).
public protocol PageSource: Sendable {
    func profile(_ username: String) async throws(ScrapeError) -> [UInt8]
    func film(_ slug: String) async throws(ScrapeError) -> [UInt8]
}

extension LetterboxdFetcher: PageSource {}

/// Pages saved on disk: `DIR/USERNAME.html` for profiles and `DIR/film/SLUG.html` for films.
public struct SavedPages: PageSource {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func profile(_ username: String) async throws(ScrapeError) -> [UInt8] { try read("\(username).html") }
    public func film(_ slug: String) async throws(ScrapeError) -> [UInt8] { try read("film/\(slug).html") }

    private func read(_ name: String) throws(ScrapeError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
            throw ScrapeError(.notFound, "no saved page \(directory)/\(name)")
        }
        return [UInt8](data)
    }
}

/// What the log already knows that a scrape compares against.
public struct KnownCatalogue: Sendable {
    public var movies: [MovieID: MovieCatalogued]
    /// Each Letterboxd user's latest set.
    public var latestSets: [String: Top4SetScraped]
    /// The film each Letterboxd id is known as: a slug Letterboxd renames later still names this film.
    public private(set) var films: [Int64: MovieID] = [:]

    public init(movies: [MovieID: MovieCatalogued] = [:], latestSets: [String: Top4SetScraped] = [:]) {
        self.movies = movies
        self.latestSets = latestSets
        // A log written before renames were followed may hold one id under two slugs: the smaller slug
        // stays the film, so every scrape picks the same one.
        for movie in movies.values.sorted(by: { $0.movieID.slug < $1.movieID.slug }) where films[movie.letterboxdID] == nil {
            films[movie.letterboxdID] = movie.movieID
        }
    }

    /// Takes `events` (appended) into account.
    public mutating func record(_ events: [Event]) {
        for event in events {
            switch event {
            case .movieCatalogued(let movie):
                movies[movie.movieID] = movie
                if films[movie.letterboxdID] == nil { films[movie.letterboxdID] = movie.movieID }
            case .top4SetScraped(let set): latestSets[set.letterboxdUser] = set
            case .userRegistered, .voteCast, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed: break
            }
        }
    }
}

/// One user's scrape: the events to append (all or none) and what became of their set.
public struct UserScrape: Sendable {
    public enum SetOutcome: Sendable, Equatable {
        case new
        case unchanged
        /// Fewer than four favourites: no set (films are still catalogued).
        case incomplete(favourites: Int)
    }

    public var events: [Event]
    public var outcome: SetOutcome
    public var filmsCatalogued: Int { events.filter { if case .movieCatalogued = $0 { true } else { false } }.count }
}

public enum Scrape {
    /// Scrapes `username`: their profile, then every favourite's film page. Films not catalogued yet (or
    /// whose metadata changed) give `MovieCatalogued`, under the film's first slug when Letterboxd renamed
    /// it; the set gives `Top4SetScraped` only when it differs from the user's latest. Any error fails the
    /// whole user, so nothing half-done is appended.
    public static func user(
        _ username: String, from source: some PageSource, known: KnownCatalogue, now: Timestamp
    ) async throws(ScrapeError) -> UserScrape {
        let valid = (1...40).contains(username.utf8.count)
            && username.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 95 }
        guard valid else { throw ScrapeError(.malformed, "'\(username)' is not a Letterboxd username") }
        let profile = try LetterboxdPage.profile(try await source.profile(username), username: username)
        var events: [Event] = []
        var films: [MovieID] = []
        for favourite in profile.favourites {
            let page: [UInt8]
            do { page = try await source.film(favourite.slug) } catch where error.code == .notFound {
                // The profile exists; a favourite that does not is the page's fault, not a missing user.
                throw ScrapeError(.malformed, "favourite /film/\(favourite.slug)/ of \(username) does not exist")
            }
            var metadata = try LetterboxdPage.film(page, slug: favourite.slug)
            // A film keeps its identity across a slug change: the same Letterboxd id is the same film, so
            // its sets and ratings stay one.
            if let known = known.films[metadata.letterboxdID] { metadata.slug = known.slug }
            let movie: MovieCatalogued
            do { movie = try metadata.event() } catch {
                throw ScrapeError(.malformed, "/film/\(favourite.slug)/: \(error)", cause: error)
            }
            if known.movies[movie.movieID] != movie { events.append(.movieCatalogued(movie)) }
            films.append(movie.movieID)
        }
        guard films.count == 4 else { return UserScrape(events: events, outcome: .incomplete(favourites: films.count)) }
        if known.latestSets[username]?.movieIDs == films { return UserScrape(events: events, outcome: .unchanged) }
        do {
            events.append(.top4SetScraped(try Top4SetScraped(letterboxdUser: username, movieIDs: films, scrapedAt: now)))
        } catch {
            throw ScrapeError(.malformed, "\(username)'s favourites do not form a set: \(error)", cause: error)
        }
        return UserScrape(events: events, outcome: .new)
    }
}
