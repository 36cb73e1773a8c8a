import Foundation
import MovieMashCore
import Scraper
import Testing
import TestSupport

func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/ScraperTests/Fixtures/\(name)")))
}

@Suite struct LetterboxdPageTests {
    @Test func readsFavouritesInTheFirstMarkupGeneration() throws {
        let profile = try LetterboxdPage.profile(try fixture("profile-generation1.html"), username: "davehehe")
        #expect(profile.favourites.map(\.slug) == ["pulp-fiction", "in-the-mood-for-love", "stalker", "cleo-from-5-to-7"])
        #expect(profile.favourites.map(\.letterboxdID) == [51568, 48246, 51751, 2240])
        #expect(profile.favourites.last?.title == "Cléo from 5 to 7")
    }

    @Test func readsFavouritesInTheReactComponentGeneration() throws {
        let profile = try LetterboxdPage.profile(try fixture("profile-generation2.html"), username: "karsten")
        #expect(profile.favourites.map(\.slug) == ["paris-texas", "perfect-days-2023", "alice-in-the-cities", "wings-of-desire"])
        #expect(profile.favourites.map(\.letterboxdID) == [17396, 923471, 38044, 47985])
        #expect(profile.favourites[0].title == "Paris, Texas" && profile.favourites[0].year == 1984)
    }

    @Test func readsIdsFromPosteredIdentifiersAndAllowsFewerThanFour() throws {
        let profile = try LetterboxdPage.profile(try fixture("profile-generation3.html"), username: "mia")
        #expect(profile.favourites.map(\.letterboxdID) == [486294, 21302, 41470])
        #expect(profile.favourites[2].title == "Jeanne Dielman, 23 quai du Commerce, 1080 Bruxelles" && profile.favourites[2].year == 1975)
    }

    @Test func aProfileWithoutFavouritesHasNone() throws {
        #expect(try LetterboxdPage.profile(try fixture("profile-no-favourites.html"), username: "sam").favourites.isEmpty)
    }

    @Test(arguments: [
        ("profile-private.html", ScrapeError.Code.privateProfile),
        ("not-found.html", .notFound),
        ("cloudflare-block.html", .blocked),
        ("film-pulp-fiction.html", .malformed),
    ])
    func badProfilePagesGiveTypedErrors(page: String, code: ScrapeError.Code) throws {
        let bytes = try fixture(page)
        #expect { try LetterboxdPage.profile(bytes, username: "someone") } throws: { ($0 as? ScrapeError)?.code == code }
    }

    @Test func readsAFilmFromJSONLD() throws {
        let film = try LetterboxdPage.film(try fixture("film-pulp-fiction.html"), slug: "pulp-fiction")
        #expect(film == FilmMetadata(
            slug: "pulp-fiction", letterboxdID: 51568, title: "Pulp Fiction", year: 1994, directors: ["Quentin Tarantino"],
            genres: ["Thriller", "Crime"],
            poster: "https://a.ltrbxd.com/resized/film-poster/5/1/5/6/8/51568-pulp-fiction-0-230-0-345-crop.jpg"))
        #expect(try film.event().movieID == MovieID("pulp-fiction"))
        #expect(try film.event().poster == film.poster)
        var unusable = film
        unusable.poster = "http://a.ltrbxd.com/poster.jpg"
        #expect(unusable.normalized().poster == nil, "a poster that is not https is dropped, the film kept")
    }

    @Test func fallsBackToTheHTMLWhenTheJSONLDIsBroken() throws {
        let film = try LetterboxdPage.film(try fixture("film-broken-jsonld.html"), slug: "stalker")
        #expect(film == FilmMetadata(
            slug: "stalker", letterboxdID: 51751, title: "Stalker", year: 1979, directors: ["Andrei Tarkovsky"],
            genres: ["Science Fiction", "Drama"]))
    }

    @Test(arguments: [
        ("not-a-film.html", ScrapeError.Code.notAFilm),
        ("not-found.html", .notFound),
        ("cloudflare-block.html", .blocked),
        ("profile-generation1.html", .notAFilm),
    ])
    func badFilmPagesGiveTypedErrors(page: String, code: ScrapeError.Code) throws {
        let bytes = try fixture(page)
        #expect { try LetterboxdPage.film(bytes, slug: "twin-peaks") } throws: { ($0 as? ScrapeError)?.code == code }
    }

    @Test func garbageNeverCrashes() throws {
        var random = SplitMix64(seed: 3)
        let pages = try ["profile-generation2.html", "film-pulp-fiction.html"].map(fixture)
        for _ in 0..<200 {
            var bytes = pages[Int(random.next() % 2)]
            let cut = Int(random.next() % UInt64(bytes.count))
            bytes = Array(bytes.prefix(cut)) + (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? LetterboxdPage.profile(bytes, username: "x")
            _ = try? LetterboxdPage.film(bytes, slug: "x")
        }
        #expect(throws: ScrapeError.self) { try LetterboxdPage.film([], slug: "x") }
    }
}
