import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import MovieMashCore
import Projections
import Synchronization
import Testing

/// A read model over seeded sample events: 60 sets, 800 votes, Bradley–Terry fitted once.
func sampleReadModel(caughtUp: Bool = true) async -> (ReadModel, Catalogue) {
    var sample = SampleEvents(seed: 5, films: 120, sets: 60, voters: 30)
    let events = sample.catalogueEvents() + (0..<800).map { _ in sample.nextVote() }
    var catalogue = Catalogue(), tallies = Tallies(), elo = EloRatings(), counts = BradleyTerryCounts()
    for event in events {
        catalogue.apply(event)
        tallies.apply(event)
        elo.apply(event)
        counts.apply(event)
    }
    var configuration = BradleyTerry.Configuration()
    configuration.bootstrapRounds = 20
    let sets = await Leaderboard.fit(counts.sets, configuration: configuration)
    let standings = LeaderboardService.Standings(
        sets: sets, films: await Leaderboard.fitFilms(counts, sets: sets), position: UInt64(events.count),
        fittedAt: Date(), votes: counts.votes, duration: .milliseconds(20), coverage: counts.coverage)
    var model = ReadModel(
        catalogue: { [catalogue] in catalogue }, tallies: { [tallies] in tallies }, elo: { [elo] in elo },
        standings: { standings },
        readiness: {
            Readiness(components: [
                .init(name: "tallies", ready: true, lagEvents: 0, lagSeconds: 0),
                .init(name: "elo", ready: caughtUp, lagEvents: caughtUp ? 0 : 12_000, lagSeconds: caughtUp ? 0 : 7.5,
                      detail: caughtUp ? nil : "12000 events behind, more than 10000"),
            ])
        })
    model.counts = { [counts] in (counts.coverage, UInt64(events.count)) }
    return (model, catalogue)
}

private struct ReadyBodyForTest: Decodable {
    var status: String
    var components: [Readiness.Component]
}

func problem(_ buffer: ByteBuffer) throws -> Problem {
    try JSONDecoder().decode(Problem.self, from: Data(buffer: buffer))
}

@Suite struct ReadRouteTests {
    @Test func healthAndReadiness() async throws {
        for caughtUp in [true, false] {
            let (model, _) = await sampleReadModel(caughtUp: caughtUp)
            let app = Application(router: GatewayApplication.router(readModel: model))
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                    #expect(response.headers[HTTPFields.Element.Name("Referrer-Policy")!] == "no-referrer")
                    #expect(response.headers[.contentSecurityPolicy] == nil, "only pages need a policy")
                }
                try await client.execute(uri: "/no/such/route", method: .get) { response in
                    #expect(response.status == .notFound && response.headers[.contentType] == "application/problem+json")
                    #expect(response.headers[values: .xContentTypeOptions] == ["nosniff"], "problem documents too")
                }
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'; script-src 'self'") == true)
                    #expect(response.headers[values: .xContentTypeOptions] == ["nosniff"])
                }
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == (caughtUp ? .ok : .serviceUnavailable))
                    #expect(response.headers[values: .xContentTypeOptions] == ["nosniff"], "problem documents too")
                    if !caughtUp {
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let body = try problem(response.body)
                        #expect(body.type.hasSuffix("/not-ready"))
                        #expect(body.detail == "elo: 12000 events behind, more than 10000", "it names what is behind and why")
                        #expect(body.components?.map(\.name) == ["tallies", "elo"])
                        #expect(body.components?.last?.lagSeconds == 7.5)
                    } else {
                        let body = try JSONDecoder().decode(ReadyBodyForTest.self, from: Data(buffer: response.body))
                        #expect(body.status == "ready" && body.components.count == 2 && body.components.allSatisfy(\.ready))
                    }
                }
            }
        }
    }

    @Test func setsAndMoviesByIdWithClearErrors() async throws {
        let (model, catalogue) = await sampleReadModel()
        let set = catalogue.sets.values.sorted { $0.setID < $1.setID }[0]
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/sets/\(set.setID)", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(SetBody.self, from: Data(buffer: response.body))
                #expect(body.owner == set.letterboxdUser && body.films.map(\.id) == set.movieIDs.map(\.slug))
                #expect(body.films.allSatisfy { $0.title != nil } && body.elo != nil && body.bradleyTerry != nil)
                #expect(body.appearances == body.wins + body.losses)
            }
            try await client.execute(uri: "/api/movies/\(set.movieIDs[0].slug)", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(FilmBody.self, from: Data(buffer: response.body))
                #expect(body.title == catalogue.movies[set.movieIDs[0]]?.title && body.elo != nil)
            }
            for (uri, status, type) in [
                ("/api/sets/nothex", HTTPResponse.Status.badRequest, "invalid-set-id"),
                ("/api/sets/" + String(repeating: "0", count: 32), .notFound, "set-not-found"),
                ("/api/movies/Not%20A%20Slug", .badRequest, "invalid-movie-id"),
                ("/api/movies/no-such-film", .notFound, "movie-not-found"),
                ("/api/nowhere", .notFound, "not-found"),
                ("/api/leaderboard/sets?limit=0", .badRequest, "invalid-paging"),
                ("/api/leaderboard/movies?offset=-3", .badRequest, "invalid-paging"),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
                    let body = try problem(response.body)
                    #expect(body.type.hasSuffix("/" + type), "\(uri)")
                }
            }
        }
    }

    @Test func metricsCountRequestsPerRouteAndSampleGauges() async throws {
        let (model, _) = await sampleReadModel()
        var configuration = GatewayApplication.Configuration()
        configuration.metrics = GatewayMetrics { [GatewayMetrics.Sample(name: "log_position", help: "Events in the log", value: 42)] }
        let app = Application(router: GatewayApplication.router(readModel: model, configuration: configuration))
        try await app.test(.router) { client in
            for _ in 0..<3 { try await client.execute(uri: "/health", method: .get) { _ in } }
            try await client.execute(uri: "/api/sets/zz", method: .get) { _ in }
            try await client.execute(uri: "/no/such/\(UUID())", method: .get) { _ in }
            for method in ["BREW", "WHEN"] { try await client.execute(uri: "/health", method: .init(method)!) { _ in } }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"moviemash_http_requests_total{route="/health",method="GET",status="200"} 3"#), "\(text)")
                #expect(text.contains(#"moviemash_http_requests_total{route="/api/sets/{id}",method="GET",status="400"} 1"#))
                #expect(text.contains(#"route="NotFound",method="GET",status="404"} 1"#) && !text.contains("/no/such"))
                #expect(text.contains(#"route="NotFound",method="other",status="405"} 2"#) && !text.contains("BREW"), "\(text)")
                #expect(text.contains("moviemash_http_request_duration_seconds_bucket") && text.contains("moviemash_log_position 42"))
            }
        }
    }

    @Test func staticFilesKeepTheirTypeAndPolicyAndOddPathsNameNoFile() async throws {
        let (model, _) = await sampleReadModel()
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/app.js", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.contains("javascript") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
            for uri in ["/index.html%00.js", "/index.html/", "/app.js/", "/style.css%00.html"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound && response.headers[.contentType] == "application/problem+json", "\(uri)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                }
            }
            try await client.execute(uri: "/api/leaderboard/sets", method: .get) { response in
                #expect(response.headers[.cacheControl] == nil, "public reads may be cached")
            }
        }
    }

    @Test func corsOnlyForAllowedOrigins() async throws {
        let (model, _) = await sampleReadModel()
        var configuration = GatewayApplication.Configuration()
        configuration.allowedOrigins = ["https://moviemash.example"]
        let app = Application(router: GatewayApplication.router(readModel: model, configuration: configuration))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/leaderboard/sets", method: .get, headers: [.origin: "https://moviemash.example"]) { response in
                #expect(response.status == .ok && response.headers[.accessControlAllowOrigin] == "https://moviemash.example")
            }
            try await client.execute(uri: "/api/nowhere", method: .get, headers: [.origin: "https://moviemash.example"]) { response in
                #expect(response.status == .notFound && response.headers[.accessControlAllowOrigin] == "https://moviemash.example")
            }
            try await client.execute(
                uri: "/api/votes", method: .options,
                headers: [.origin: "https://moviemash.example", .accessControlRequestMethod: "POST"]
            ) { response in
                #expect(response.status == .noContent && response.headers[.accessControlAllowHeaders]?.contains("Idempotency-Key") == true)
                // Every method the API takes from a browser: a password change and an erasure too.
                let methods = Set((response.headers[.accessControlAllowMethods] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                #expect(methods.isSuperset(of: ["GET", "POST", "PUT", "DELETE"]), "\(methods)")
            }
            try await client.execute(uri: "/api/leaderboard/sets", method: .get, headers: [.origin: "https://evil.example"]) { response in
                #expect(response.status == .ok && response.headers[.accessControlAllowOrigin] == nil)
                #expect(response.headers[.vary] == "Origin", "a cache keeps answers apart by origin")
            }
            try await client.execute(uri: "/api/leaderboard/sets", method: .get) { response in
                #expect(response.headers[.vary] == "Origin")
            }
        }
    }

    @Test func leaderboardsPageThroughEverySetAndFilmBestFirst() async throws {
        let (model, catalogue) = await sampleReadModel()
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            var seen: [SetBody] = []
            for offset in stride(from: 0, to: 60, by: 25) {
                try await client.execute(uri: "/api/leaderboard/sets?offset=\(offset)&limit=25", method: .get) { response in
                    let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                    #expect(page.total == 60 && page.offset == offset && page.limit == 25)
                    seen += page.items
                }
            }
            #expect(Set(seen.map(\.id)) == Set(catalogue.sets.keys.map(\.description)))
            let ratings = seen.map { $0.bradleyTerry!.rating }
            #expect(ratings == ratings.sorted(by: >))
            try await client.execute(uri: "/api/leaderboard/movies?limit=100", method: .get) { response in
                let page = try JSONDecoder().decode(Page<FilmBody>.self, from: Data(buffer: response.body))
                #expect(page.total == catalogue.movies.count && page.items.count == 100)
            }
        }
    }

    @Test func aSearchFindsSetsByOwnerOrFilmAndFilmsByTitleKeepingTheirPlaces() async throws {
        let (model, catalogue) = await sampleReadModel()
        let app = Application(router: GatewayApplication.router(readModel: model))
        let someSet = catalogue.sets.values.sorted { $0.setID < $1.setID }[7]
        let film = try #require(catalogue.movies[someSet.movieIDs[2]])
        let word = String(film.title.split(separator: " ").max { $0.count < $1.count }!).uppercased()
        try await app.test(.router) { client in
            var whole: [SetBody] = []
            try await client.execute(uri: "/api/leaderboard/sets?limit=100", method: .get) { response in
                whole = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body)).items
            }
            let query = word.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/leaderboard/sets?q=\(query)&limit=2", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                let expected = whole.filter { set in
                    set.owner.localizedCaseInsensitiveContains(word) || set.films.contains { $0.title!.localizedCaseInsensitiveContains(word) }
                }
                #expect(page.total == expected.count && expected.contains { $0.id == someSet.setID.description })
                #expect(page.items.map(\.id) == expected.prefix(2).map(\.id), "matches in board order")
                #expect(page.items.map { $0.bradleyTerry!.position } == expected.prefix(2).map { $0.bradleyTerry!.position }, "places on the whole board")
                #expect(expected.count <= 2 || page.next?.contains("q=\(query)") == true)
            }
            try await client.execute(uri: "/api/leaderboard/sets?q=\(someSet.letterboxdUser)", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.items.contains { $0.owner == someSet.letterboxdUser })
                #expect(page.items.allSatisfy { $0.owner.localizedCaseInsensitiveContains(someSet.letterboxdUser) || $0.films.contains { $0.title!.localizedCaseInsensitiveContains(someSet.letterboxdUser) } })
            }
            try await client.execute(uri: "/api/leaderboard/movies?q=\(query)", method: .get) { response in
                let page = try JSONDecoder().decode(Page<FilmBody>.self, from: Data(buffer: response.body))
                #expect(page.items.contains { $0.id == film.movieID.slug } && page.items.allSatisfy { $0.title!.localizedCaseInsensitiveContains(word) })
            }
            try await client.execute(uri: "/api/leaderboard/sets?q=no-such-thing-anywhere", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.total == 0 && page.items.isEmpty && page.next == nil)
            }
            try await client.execute(uri: "/api/leaderboard/sets?q=" + String(repeating: "a", count: 101), method: .get) { response in
                let body = try problem(response.body)
                #expect(response.status == .badRequest && body.type.hasSuffix("/invalid-search"))
            }
        }
    }

    @Test func aPreviewPairNeedsNoAccountAndCarriesNoTicket() async throws {
        let (model, catalogue) = await sampleReadModel()
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/comparisons/preview", method: .get) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect(Set(object.keys) == ["setA", "setB"], "no ticket: nothing to vote with")
                let pair = try JSONDecoder().decode(PreviewBody.self, from: Data(buffer: response.body))
                #expect(pair.setA.id != pair.setB.id && pair.setA.films.count == 4)
                #expect(catalogue.sets.keys.contains { $0.description == pair.setA.id })
                // Sample films come from Letterboxd: their pages and the owner's profile are linked.
                #expect(pair.setA.films.allSatisfy { $0.letterboxdURL == "https://letterboxd.com/film/\($0.id)/" })
                #expect(pair.setA.ownerURL == "https://letterboxd.com/\(pair.setA.owner)/")
                // "Another pair" is another: the pair shown is excluded.
                let shown = [pair.setA.id, pair.setB.id]
                for _ in 0..<20 {
                    try await client.execute(uri: "/api/comparisons/preview?excluding=\(shown.joined(separator: ","))", method: .get) { response in
                        let next = try JSONDecoder().decode(PreviewBody.self, from: Data(buffer: response.body))
                        #expect(Set([next.setA.id, next.setB.id]) != Set(shown))
                    }
                }
            }
            try await client.execute(uri: "/api/comparisons/preview?excluding=abc", method: .get) { response in
                let body = try problem(response.body)
                #expect(response.status == .badRequest && body.type.hasSuffix("/invalid-pair"))
            }
        }
    }

    @Test func postersOnlyFromLetterboxdsImageServerAndNoLinksForDemoData() throws {
        var catalogue = Catalogue()
        let films = [
            try MovieCatalogued(movieID: MovieID("kept"), letterboxdID: 1, title: "Kept", year: 2001, directors: [], genres: [],
                                poster: "https://a.ltrbxd.com/resized/kept.jpg"),
            try MovieCatalogued(movieID: MovieID("elsewhere"), letterboxdID: 2, title: "Elsewhere", year: nil, directors: [], genres: [],
                                poster: "https://images.example/elsewhere.jpg"),
            try MovieCatalogued(movieID: MovieID("demo-ml3"), letterboxdID: 3, title: "Demo", year: nil, directors: [], genres: [],
                                source: .movielens),
            try MovieCatalogued(movieID: MovieID("demo-ml4"), letterboxdID: 4, title: "Demo 4", year: nil, directors: [], genres: [],
                                source: .movielens),
        ]
        for film in films { catalogue.apply(EventEnvelope(occurredAt: .now, event: .movieCatalogued(film))) }
        let bodies = films.map { FilmBody($0.movieID, catalogue: catalogue, elo: nil, standings: nil) }
        #expect(bodies.map(\.poster) == ["https://a.ltrbxd.com/resized/kept.jpg", nil, nil, nil])
        #expect(bodies.map { $0.letterboxdURL != nil } == [true, true, false, false])
        let mixed = try Top4SetScraped(letterboxdUser: "someone", movieIDs: films.map(\.movieID), scrapedAt: .now)
        catalogue.apply(EventEnvelope(occurredAt: .now, event: .top4SetScraped(mixed)))
        let set = SetBody(mixed, catalogue: catalogue, tallies: Tallies(), elo: EloRatings(), standings: LeaderboardService.Standings())
        #expect(set.ownerURL == nil, "a set of invented demo data links to no profile")
    }
}

/// Two fits of the same sample: of its first 400 votes and of all 800.
func twoFits() async -> (ReadModel, early: LeaderboardService.Standings, late: LeaderboardService.Standings, Catalogue) {
    var sample = SampleEvents(seed: 5, films: 120, sets: 60, voters: 30)
    let catalogueEvents = sample.catalogueEvents()
    let votes = (0..<800).map { _ in sample.nextVote() }
    var catalogue = Catalogue(), tallies = Tallies(), elo = EloRatings(), counts = BradleyTerryCounts()
    var configuration = BradleyTerry.Configuration()
    configuration.bootstrapRounds = 20
    var fits: [LeaderboardService.Standings] = []
    for (index, event) in (catalogueEvents + votes).enumerated() {
        catalogue.apply(event)
        tallies.apply(event)
        elo.apply(event)
        counts.apply(event)
        if index + 1 == catalogueEvents.count + 400 || index + 1 == catalogueEvents.count + 800 {
            let sets = await Leaderboard.fit(counts.sets, configuration: configuration)
            fits.append(LeaderboardService.Standings(
                sets: sets, films: await Leaderboard.fitFilms(counts, sets: sets), position: UInt64(index + 1),
                fittedAt: Date(), votes: counts.votes, duration: .milliseconds(30), coverage: counts.coverage))
        }
    }
    var model = ReadModel(
        catalogue: { [catalogue] in catalogue }, tallies: { [tallies] in tallies }, elo: { [elo] in elo }, standings: { [fits] in fits[0] },
        readiness: { Readiness(components: []) })
    model.counts = { [counts, fits] in (counts.coverage, fits[1].position) }
    return (model, fits[0], fits[1], catalogue)
}

@Suite struct LeaderboardFitTests {
    @Test func everyPageSaysWhichFitItShowsAndAWalkStaysOnOneFit() async throws {
        let (initial, early, late, catalogue) = await twoFits()
        var model = initial
        // The newest fit, and the fits still kept by id: changed by the test as refits would.
        let served = Mutex((current: early, kept: [early]))
        model.standings = { served.withLock { $0.current } }
        model.fit = { id in served.withLock { $0.kept.first { $0.id == id } } }
        model.consistency = Consistency(position: { [late] in late.position }, reach: { _, _ in true })
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            var next: String?
            try await client.execute(uri: "/api/leaderboard/sets?limit=25", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.fit.id == early.position && page.fit.position == early.position)
                #expect(page.fit.votes == 400 && page.fit.votesInLog == 800 && page.fit.state == "updating")
                #expect(page.fit.eventsBehind == late.position - early.position && page.fit.durationSeconds == 0.03)
                #expect(page.fit.fittedAt != nil && (page.fit.ageSeconds ?? -1) >= 0)
                #expect(page.items.map(\.id) == early.sets.entries.prefix(25).map(\.item.description))
                for item in page.items {
                    let strength = try #require(item.bradleyTerry)
                    #expect(strength.rank <= strength.position && strength.position <= strength.worstRank)
                }
                next = page.next
            }
            #expect(next == "/api/leaderboard/sets?fit=\(early.position)&offset=25&limit=25")
            // A refit lands between two pages: the walk goes on in the first fit's order.
            served.withLock { $0 = (late, [early, late]) }
            try await client.execute(uri: try #require(next), method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.fit.id == early.position)
                #expect(page.items.map(\.id) == early.sets.entries.dropFirst(25).prefix(25).map(\.item.description))
                #expect(page.items.map { $0.bradleyTerry?.rating } == early.sets.entries.dropFirst(25).prefix(25).map(\.standing.rating))
            }
            try await client.execute(uri: "/api/leaderboard/sets?limit=25", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.fit.id == late.position && page.fit.state == "current" && page.fit.eventsBehind == 0)
                #expect(page.items.map(\.id) == late.sets.entries.prefix(25).map(\.item.description))
            }
            #expect(early.sets.entries.map(\.item) != late.sets.entries.map(\.item), "the two fits order the sets differently")
            // Once the first fit is no longer kept, asking for it is a clear problem, not a silent mix.
            served.withLock { $0 = (late, [late]) }
            try await client.execute(uri: try #require(next), method: .get) { response in
                #expect(response.status == .gone)
                let body = try problem(response.body)
                #expect(body.type.hasSuffix("/fit-gone") && body.detail.contains("the newest is \(late.position)"))
            }
            try await client.execute(uri: "/api/leaderboard/movies?fit=latest", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = try problem(response.body)
                #expect(body.type.hasSuffix("/invalid-fit"))
            }
            try await client.execute(uri: "/api/leaderboard/movies?fit=\(late.position)&limit=10", method: .get) { response in
                let page = try JSONDecoder().decode(Page<FilmBody>.self, from: Data(buffer: response.body))
                #expect(page.fit.id == late.position && page.total == catalogue.movies.count)
                #expect(page.next == "/api/leaderboard/movies?fit=\(late.position)&offset=10&limit=10")
            }
        }
    }

    @Test func beforeTheFirstFitPagesSayPendingAndAreOrderedByElo() async throws {
        var model = await twoFits().0
        model.standings = { LeaderboardService.Standings() }
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/leaderboard/sets?limit=10", method: .get) { response in
                let page = try JSONDecoder().decode(Page<SetBody>.self, from: Data(buffer: response.body))
                #expect(page.fit.id == nil && page.fit.state == "pending" && page.fit.fittedAt == nil)
                #expect(page.items.allSatisfy { $0.bradleyTerry == nil })
                let elo = page.items.map { $0.elo ?? 1500 }
                #expect(elo == elo.sorted(by: >))
                #expect(page.next == "/api/leaderboard/sets?offset=10&limit=10")
            }
        }
    }

    @Test func readySaysDegradedWhileAComponentServesStaleData() async throws {
        var model = await twoFits().0
        model.readiness = {
            Readiness(components: [
                .init(name: "tallies", ready: true, lagEvents: 0, lagSeconds: 0),
                .init(name: "leaderboards", ready: true, lagEvents: 40_000, lagSeconds: 45, state: "degraded", detail: "stale"),
            ])
        }
        let app = Application(router: GatewayApplication.router(readModel: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(ReadyBodyForTest.self, from: Data(buffer: response.body))
                #expect(body.status == "degraded" && body.components.last?.state == "degraded")
            }
        }
    }
}

/// Every event a handler is given, metadata included.
private struct EventRecorder: LogHandler {
    final class Store: Sendable {
        let events = Mutex<[LogEvent]>([])
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.events.withLock { $0.append(event) }
    }
}

@Suite struct DeferredMetadataLogHandlerTests {
    @Test func metadataReachesTheWrappedHandlerWithEachMessageAndExplicitMetadataWins() {
        let store = EventRecorder.Store()
        var logger = Logger(label: "test") { _ in DeferredMetadataLogHandler(EventRecorder(store: store)) }
        logger.logLevel = .info
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "route"] = "/a"
        logger.debug("below the level")
        logger.info("first", metadata: ["route": "/b", "extra": "x"])
        logger[metadataKey: "request"] = nil
        logger.warning("second")
        let events = store.events.withLock { $0 }
        #expect(events.map { "\($0.message)" } == ["first", "second"])
        #expect(events.first?.metadata == ["request": "r1", "route": "/b", "extra": "x"])
        #expect(events.last?.metadata == ["route": "/a"])
        #expect(logger.logLevel == .info && logger[metadataKey: "route"] == "/a")
    }
}
