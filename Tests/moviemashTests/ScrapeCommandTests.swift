import EventLog
import Foundation
import MovieMashCore
import Projections
import Testing
import TestSupport

@Suite struct ScrapeCommandTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ScraperTests/Fixtures")

    static func savedPages(in directory: TemporaryDirectory) throws -> String {
        let pages = directory.file("pages")
        try FileManager.default.createDirectory(atPath: pages + "/film", withIntermediateDirectories: true)
        for (user, page) in [("davehehe", "profile-generation1.html"), ("karsten", "profile-generation2.html"), ("mia", "profile-generation3.html"), ("blocked_user", "cloudflare-block.html")] {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(page).path, toPath: "\(pages)/\(user).html")
        }
        let films = ["pulp-fiction", "in-the-mood-for-love", "stalker", "cleo-from-5-to-7", "paris-texas", "perfect-days-2023",
                     "alice-in-the-cities", "wings-of-desire", "portrait-of-a-lady-on-fire", "beau-travail",
                     "jeanne-dielman-23-quai-du-commerce-1080-bruxelles", "la-jetee"]
        for (index, slug) in films.enumerated() {
            try LetterboxdPages.film(slug: slug, id: 1000 + index, title: slug.replacingOccurrences(of: "-", with: " ").capitalized, year: 1960 + index)
                .write(toFile: "\(pages)/film/\(slug).html", atomically: true, encoding: .utf8)
        }
        return pages
    }

    static func events(in log: String) throws -> [EventEnvelope] {
        let opened = try EventLog(directory: log, mode: .readOnly)
        return try opened.read(from: 0).map { try EventEnvelope($0) }
    }

    @Test func scrapesSavedPagesIdempotentlyAndKeepsGoingAfterAFailure() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pages = try Self.savedPages(in: directory)
        let log = directory.file("log")
        let arguments = ["scrape", "--data", log, "--offline", pages, "--fsync", "never", "davehehe", "ghost", "karsten", "mia", "not a name"]

        let first = try await run(Self.binary, arguments)
        #expect(first.status == 1, "a user failed, so the exit status says so")
        #expect(first.output.contains("sets        2 new, 0 unchanged, 1 fewer than four favourites"), "\(first.output)")
        #expect(first.output.contains("films       11 catalogued"))
        #expect(first.output.contains("errors      1 malformed, 1 not found"))
        #expect(first.error.contains("ghost: not found") && first.error.contains("scraped 5/5 users"))
        let afterFirst = try Self.events(in: log)
        #expect(afterFirst.filter { $0.type == .movieCatalogued }.count == 11)
        let sets = afterFirst.compactMap { if case .top4SetScraped(let set) = $0.event { set } else { nil } }
        #expect(sets.map(\.letterboxdUser) == ["davehehe", "karsten"])
        #expect(sets[0].movieIDs.map(\.slug) == ["pulp-fiction", "in-the-mood-for-love", "stalker", "cleo-from-5-to-7"])

        try "# regulars\ndavehehe\nkarsten  # the Wenders fan\n\nmia\n".write(toFile: directory.file("users.txt"), atomically: true, encoding: .utf8)
        let again = try await run(Self.binary, ["scrape", "--data", log, "--offline", pages, "--fsync", "never", "--users", directory.file("users.txt")])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.output.contains("sets        0 new, 2 unchanged, 1 fewer than four favourites"))
        #expect(again.output.contains("films       0 catalogued"))
        #expect(try Self.events(in: log).count == afterFirst.count, "a re-run appends nothing")

        // Dave swaps Stalker for La Jetée: one new set, one new film.
        let profile = try String(contentsOfFile: "\(pages)/davehehe.html", encoding: .utf8)
            .replacingOccurrences(of: "/film/stalker/", with: "/film/la-jetee/")
        try profile.write(toFile: "\(pages)/davehehe.html", atomically: true, encoding: .utf8)
        let changed = try await run(Self.binary, ["scrape", "--data", log, "--offline", pages, "--fsync", "never", "davehehe"])
        #expect(changed.output.contains("sets        1 new, 0 unchanged") && changed.output.contains("films       1 catalogued"))
        let latest = try Self.events(in: log).last
        if case .top4SetScraped(let set) = latest?.event {
            #expect(set.movieIDs.map(\.slug) == ["pulp-fiction", "in-the-mood-for-love", "la-jetee", "cleo-from-5-to-7"])
        } else {
            Issue.record("the last event is not the new set")
        }
    }

    @Test func aBlockPageStopsTheScrapeWithAClearMessage() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pages = try Self.savedPages(in: directory)
        let result = try await run(Self.binary, ["scrape", "--data", directory.file("log"), "--offline", pages, "--fsync", "never", "davehehe", "blocked_user", "karsten"])
        #expect(result.status == 1)
        #expect(result.output.contains("(stopped early: blocked)") && result.output.contains("sets        1 new"))
        #expect(result.error.contains("Cloudflare challenge or captcha"))
    }

    @Test func scrapesALetterboxdServerPolitely() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pages = try Self.savedPages(in: directory)
        let server = try await FakeHTTPServer { path, previous in
            if path == "/robots.txt" { return .init(body: Array("User-agent: *\nDisallow: /search/\n".utf8)) }
            if path == "/karsten/" && previous == 0 { return .init(status: 429, headers: [("Retry-After", "1")]) }
            let file = path.hasPrefix("/film/") ? "\(pages)/film/\(path.split(separator: "/")[1]).html" : "\(pages)/\(path.split(separator: "/")[0]).html"
            guard let data = FileManager.default.contents(atPath: file) else { return .init(status: 404) }
            return .init(body: [UInt8](data))
        }
        let result = try await run(Self.binary, [
            "scrape", "--data", directory.file("log"), "--base-url", server.baseURL, "--rate", "20", "--cache", directory.file("cache"),
            "--fsync", "never", "davehehe", "karsten",
        ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("sets        2 new"))
        let requests = server.requests
        #expect(requests.first?.path == "/robots.txt")
        #expect(requests.filter { $0.path == "/karsten/" }.count == 2)
        #expect(requests.allSatisfy { $0.userAgent?.hasPrefix("MovieMash/") == true })
        try await server.shutdown()
    }
}
