import Foundation
import MovieMashCore
import Scraper
import Testing

/// Films as they are catalogued: normalized text, Letterboxd's genres only, and one identity per
/// Letterboxd id across slug changes, so a renamed film keeps its sets and ratings.
@Suite struct NormalizationTests {
    @Test func titlesAndDirectorsAreNFCWithSingleSpacesAndGenresComeFromLetterboxdsList() {
        let decomposed = "Cle\u{301}o from 5\u{00A0}to  7 "
        let film = FilmMetadata(
            slug: "cleo-from-5-to-7", letterboxdID: 2240, title: decomposed, year: nil,
            directors: [" Agne\u{300}s  Varda", "Agnès Varda", ""],
            genres: ["tv movie", "Sci-Fi", "science  fiction", "Drama", "DRAMA", "Arthouse"]).normalized()
        #expect(film.title == "Cléo from 5 to 7" && film.title.unicodeScalars.count == 16)
        #expect(film.directors == ["Agnès Varda"])
        #expect(film.genres == ["TV Movie", "Science Fiction", "Drama"])
        #expect(film.year == nil, "a film announced without a year is catalogued without one")
        #expect(film.normalized() == film, "normalizing twice changes nothing")
    }

    /// Profiles and film pages served from memory, changed between scrapes as Letterboxd would change them.
    final class Pages: PageSource, @unchecked Sendable {
        var favourites: [(slug: String, id: Int64)] = []
        var titles: [Int64: String] = [:]

        func profile(_ username: String) async throws(ScrapeError) -> [UInt8] {
            let posters = favourites.map { """
                <li class="poster-container favourite-film-poster-container"><div class="poster film-poster" \
                data-film-id="\($0.id)" data-film-slug="/film/\($0.slug)/"></div></li>
                """ }.joined()
            return Array("""
                <!DOCTYPE html><html><head><title>\(username)’s profile • Letterboxd</title>
                <meta property="og:type" content="profile" /></head><body class="profile">
                <section id="favourites"><ul class="poster-list">\(posters)</ul></section></body></html>
                """.utf8)
        }

        func film(_ slug: String) async throws(ScrapeError) -> [UInt8] {
            guard let id = favourites.first(where: { $0.slug == slug })?.id, let title = titles[id] else {
                throw ScrapeError(.notFound, "no film \(slug)")
            }
            return Array("""
                <!DOCTYPE html><html><head><title>\(title) • Letterboxd</title><meta property="og:type" content="video.movie" />
                <script type="application/ld+json">{"name":"\(title)","director":[{"@type":"Person","name":"Someone"}],\
                "genre":["Drama"],"releasedEvent":[{"@type":"PublicationEvent","startDate":"1990"}],"@type":"Movie"}</script>
                </head><body class="film"><div class="film-poster" data-film-id="\(id)" data-film-slug="\(slug)"></div></body></html>
                """.utf8)
        }
    }

    @Test func aRenamedSlugKeepsOneFilmAndTheSetStaysTheSame() async throws {
        let pages = Pages()
        pages.favourites = [("first", 1), ("second", 2), ("third", 3), ("fourth", 4)]
        pages.titles = [1: "First", 2: "Second", 3: "Third", 4: "Fourth"]
        var known = KnownCatalogue()
        let first = try await Scrape.user("dave", from: pages, known: known, now: Timestamp(milliseconds: 1_000))
        #expect(first.outcome == .new && first.filmsCatalogued == 4)
        known.record(first.events)
        guard case .top4SetScraped(let set) = first.events.last else { Issue.record("no set"); return }

        // Letterboxd renames the second film's slug: the same film, the same set, nothing to append.
        pages.favourites[1].slug = "second-1990"
        let renamed = try await Scrape.user("dave", from: pages, known: known, now: Timestamp(milliseconds: 2_000))
        #expect(renamed.outcome == .unchanged && renamed.events.isEmpty, "\(renamed.events)")

        // Renamed and retitled: the film is catalogued again under its first slug, the set still the same.
        pages.titles[2] = "Second  (Director’s Cut)"
        let retitled = try await Scrape.user("dave", from: pages, known: known, now: Timestamp(milliseconds: 3_000))
        #expect(retitled.outcome == .unchanged)
        #expect(retitled.events.count == 1)
        if case .movieCatalogued(let movie) = retitled.events.first {
            #expect(movie.movieID == (try MovieID("second")) && movie.title == "Second (Director’s Cut)" && movie.letterboxdID == 2)
        } else {
            Issue.record("expected MovieCatalogued, got \(retitled.events)")
        }
        known.record(retitled.events)
        #expect(known.latestSets["dave"]?.setID == set.setID)
        #expect(try await Scrape.user("dave", from: pages, known: known, now: Timestamp(milliseconds: 4_000)).events.isEmpty)

        // A log that already holds one id under two slugs (from before renames were followed): the smaller stays.
        let twice = KnownCatalogue(movies: [
            try MovieID("zeta"): try MovieCatalogued(movieID: MovieID("zeta"), letterboxdID: 9, title: "Z", year: nil, directors: [], genres: []),
            try MovieID("alpha"): try MovieCatalogued(movieID: MovieID("alpha"), letterboxdID: 9, title: "Z", year: nil, directors: [], genres: []),
        ])
        #expect(twice.films[9] == (try MovieID("alpha")))
    }
}
