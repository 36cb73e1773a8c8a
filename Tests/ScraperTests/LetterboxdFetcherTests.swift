import Foundation
import Logging
import MovieMashCore
import Scraper
import Testing
import TestSupport

@Suite struct LetterboxdFetcherTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func configuration(_ server: FakeHTTPServer, perSecond: Double = 20) -> LetterboxdFetcher.Configuration {
        var configuration = LetterboxdFetcher.Configuration()
        configuration.baseURL = server.baseURL
        configuration.requestsPerSecond = perSecond
        configuration.jitter = 0.2
        configuration.backoff = Backoff(base: .milliseconds(100), cap: .milliseconds(400))
        configuration.maxAttempts = 4
        configuration.timeout = .seconds(1)
        return configuration
    }

    @Test func keepsToTheRateAndIntroducesItself() async throws {
        let page = try fixture("film-pulp-fiction.html")
        let server = try await FakeHTTPServer { path, _ in path == "/robots.txt" ? .init(status: 404) : .init(body: page) }
        let fetcher = LetterboxdFetcher(configuration: configuration(server, perSecond: 10), logger: logger)
        for slug in ["a", "b", "c", "d"] { _ = try await fetcher.film(slug) }
        let dispatched = await fetcher.statistics.dispatched
        try await fetcher.shutdown()
        let requests = server.requests
        #expect(requests.map(\.path) == ["/robots.txt", "/film/a/", "/film/b/", "/film/c/", "/film/d/"])
        // Requests leave at least 100 ms × (1 − 0.2) apart. Measured where they leave: arrival times at the
        // server also carry its own scheduling, which on a loaded machine can stall one request for seconds
        // and deliver the next right behind it.
        let gaps = zip(dispatched, dispatched.dropFirst()).map { ($1 - $0) / .seconds(1) }
        #expect(dispatched.count == 5 && gaps.allSatisfy { $0 >= 0.08 }, "gaps \(gaps)")
        #expect(requests.allSatisfy { $0.userAgent?.hasPrefix("MovieMash/") == true })
        try await server.shutdown()
    }

    @Test func waitsAsToldBy429RetryAfter() async throws {
        let page = try fixture("film-pulp-fiction.html")
        let server = try await FakeHTTPServer { path, previous in
            if path == "/robots.txt" { return .init(body: Array("User-agent: *\nDisallow: /settings/\n".utf8)) }
            return previous == 0 ? .init(status: 429, headers: [("Retry-After", "1")]) : .init(body: page)
        }
        let fetcher = LetterboxdFetcher(configuration: configuration(server), logger: logger)
        #expect(try await fetcher.film("pulp-fiction") == page)
        #expect(await fetcher.statistics.retries == 1)
        try await fetcher.shutdown()
        let films = server.requests.filter { $0.path == "/film/pulp-fiction/" }
        #expect(films.count == 2 && (films[1].at - films[0].at) >= .milliseconds(990))
        try await server.shutdown()
    }

    @Test func backsOffOnServerErrorsAndTimeoutsThenGivesUp() async throws {
        let page = try fixture("film-pulp-fiction.html")
        let server = try await FakeHTTPServer { path, previous in
            switch path {
            case "/robots.txt": .init(status: 404)
            case "/film/flaky/": previous < 2 ? .init(status: 503) : .init(body: page)
            case "/film/slow/": previous == 0 ? .init(body: page, delay: .seconds(3)) : .init(body: page)
            default: .init(status: 502)
            }
        }
        let fetcher = LetterboxdFetcher(configuration: configuration(server), logger: logger)
        #expect(try await fetcher.film("flaky") == page)
        #expect(try await fetcher.film("slow") == page)
        await #expect { try await fetcher.film("down") } throws: { error in
            let error = error as? ScrapeError
            return error?.code == .fetch && error?.message.contains("failed 4 times; last: HTTP 502") == true
        }
        try await fetcher.shutdown()
        #expect(server.requests.filter { $0.path == "/film/flaky/" }.count == 3)
        #expect(server.requests.filter { $0.path == "/film/slow/" }.count == 2)
        #expect(server.requests.filter { $0.path == "/film/down/" }.count == 4)
        try await server.shutdown()
    }

    @Test func aBlockPageStopsEverything() async throws {
        let block = try fixture("cloudflare-block.html")
        let server = try await FakeHTTPServer { path, _ in path == "/robots.txt" ? .init(status: 404) : .init(status: 403, body: block) }
        let fetcher = LetterboxdFetcher(configuration: configuration(server), logger: logger)
        await #expect { try await fetcher.profile("someone") } throws: { ($0 as? ScrapeError)?.code == .blocked }
        let before = server.requests.count
        await #expect { try await fetcher.film("anything") } throws: { ($0 as? ScrapeError)?.code == .blocked }
        #expect(server.requests.count == before, "no request after a block")
        try await fetcher.shutdown()
        try await server.shutdown()
    }

    @Test func respectsRobotsAndServesFilmsFromTheCache() async throws {
        let page = try fixture("film-pulp-fiction.html")
        let server = try await FakeHTTPServer { path, _ in
            path == "/robots.txt" ? .init(body: Array("User-agent: *\nDisallow: /*/likes/\nUser-agent: MovieMash\nDisallow: /search/\n".utf8)) : .init(body: page)
        }
        let cache = TemporaryDirectory()
        defer { cache.remove() }
        var settings = configuration(server)
        settings.cacheDirectory = cache.path
        let fetcher = LetterboxdFetcher(configuration: settings, logger: logger)
        await #expect { try await fetcher.get("/search/pulp/") } throws: { ($0 as? ScrapeError)?.code == .disallowed }
        _ = try await fetcher.get("/dave/likes/")
        #expect(try await fetcher.film("pulp-fiction") == page)
        #expect(try await fetcher.film("pulp-fiction") == page)
        #expect(await fetcher.statistics.cacheHits == 1)
        try await fetcher.shutdown()
        #expect(server.requests.map(\.path) == ["/robots.txt", "/dave/likes/", "/film/pulp-fiction/"])
        try await server.shutdown()
    }

    @Test func robotsRulesFollowTheLongestMatch() {
        let rules = RobotsRules(parsing: """
            User-agent: *
            Disallow: /
            User-agent: MovieMash
            User-agent: other
            Disallow: /film/*/reviews/
            Allow: /film/*/reviews/by/
            Disallow: /*.json$
            """, agent: "MovieMash")
        #expect(rules.allows("/film/alien/"))
        #expect(!rules.allows("/film/alien/reviews/"))
        #expect(rules.allows("/film/alien/reviews/by/activity/"))
        #expect(!rules.allows("/data/x.json") && rules.allows("/data/x.json.html"))
        #expect(!RobotsRules(parsing: "User-agent: *\nDisallow: /\n", agent: "MovieMash").allows("/film/alien/"))
        #expect(RobotsRules(parsing: "", agent: "MovieMash").allows("/anything"))
    }
}
