import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import MovieMashServer
import Projections
import Scraper
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// A Letterboxd on loopback whose members and films a test changes as it goes, serving the pages the
/// scraper reads. It is also a `PageSource`, so a test can write the log a past scrape would have left.
final class FakeLetterboxd: PageSource, Sendable {
    struct Film: Sendable {
        var id: Int
        var title: String
    }

    struct World: Sendable {
        var favourites: [String: [String]] = [:]
        var films: [String: Film] = [:]
        var privateProfiles: Set<String> = []
        /// Paths answered with a challenge page.
        var challenged: Set<String> = []
        /// Paths answered `429` this many more times.
        var tooMany: [String: Int] = [:]
    }

    /// The world the pages show, shared with the server's handler.
    final class Shared: Sendable {
        let state = Mutex(World())
        func withLock<T>(_ body: (inout World) -> T) -> T { state.withLock { body(&$0) } }
    }

    let world: Shared
    let server: FakeHTTPServer

    static func start() async throws -> FakeLetterboxd {
        let world = Shared()
        let server = try await FakeHTTPServer { path, _ in FakeLetterboxd.respond(path, world: world) }
        return FakeLetterboxd(server: server, sharing: world)
    }

    private init(server: FakeHTTPServer, sharing world: Shared) {
        self.server = server
        self.world = world
    }

    var baseURL: String { server.baseURL }

    /// Requests for `path` the server saw.
    func hits(_ path: String) -> [FakeHTTPServer.Request] { server.requests.filter { $0.path == path } }

    private static func respond(_ path: String, world: Shared) -> FakeHTTPServer.Response {
        world.withLock { world in
            if let left = world.tooMany[path], left > 0 {
                world.tooMany[path] = left - 1
                return .init(status: 429, headers: [("Retry-After", "0")])
            }
            if world.challenged.contains(path) {
                let page = try! Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/ScraperTests/Fixtures/cloudflare-block.html"))
                return .init(status: 403, body: [UInt8](page))
            }
            return page(path, world: world).map { .init(body: Array($0.utf8)) } ?? .init(status: 404, body: Array("<html><body>Sorry, we can’t find the page</body></html>".utf8))
        }
    }

    private static func page(_ path: String, world: World) -> String? {
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 2, parts[0] == "film", let film = world.films[parts[1]] {
            return LetterboxdPages.film(slug: parts[1], id: film.id, title: film.title, year: 1950 + film.id % 70)
        }
        guard parts.count == 1 else { return nil }
        if world.privateProfiles.contains(parts[0]) {
            return LetterboxdPages.privateProfile
        }
        guard let favourites = world.favourites[parts[0]] else { return nil }
        return LetterboxdPages.profile(favourites: favourites.map { ($0, world.films[$0]?.id ?? 0) })
    }

    func profile(_ username: String) async throws(ScrapeError) -> [UInt8] { try read("/\(username)/") }
    func film(_ slug: String) async throws(ScrapeError) -> [UInt8] { try read("/film/\(slug)/") }

    private func read(_ path: String) throws(ScrapeError) -> [UInt8] {
        guard let page = world.withLock({ Self.page(path, world: $0) }) else { throw ScrapeError(.notFound, path) }
        return Array(page.utf8)
    }
}

/// A whole writer node scraping a fake Letterboxd.
struct ScrapingNode {
    let server: Server
    let group: ServiceGroup
    let running: Task<Void, any Error>
    let base: String

    static func start(
        log: String, letterboxd: FakeLetterboxd, users: [String] = [], refresh: Duration = .seconds(3600), rate: Double = 100,
        change: (inout ScrapeConfiguration) -> Void = { _ in }
    ) async throws -> ScrapingNode {
        var configuration = ServerConfiguration(data: log)
        configuration.gateway.port = 0
        configuration.log.fsync = .never
        var scrape = ScrapeConfiguration()
        scrape.users = users
        scrape.fetcher.baseURL = letterboxd.baseURL
        scrape.fetcher.requestsPerSecond = rate
        scrape.fetcher.cacheDirectory = log + ".scrape-cache"
        scrape.fetcher.backoff = Backoff(base: .milliseconds(10), cap: .milliseconds(50))
        scrape.schedule.refreshInterval = refresh
        change(&scrape)
        configuration.scrape = scrape
        let (server, base, group, running) = try await startNode(configuration)
        #expect(try await eventually(timeout: .seconds(60)) { (try? await exchange("GET", base + "/ready"))?.status == 200 })
        return ScrapingNode(server: server, group: group, running: running, base: base)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Runs `body`, then stops the node however `body` ended (a failed `#require` throws): a node left
    /// running would write into its test's removed folder.
    func stopping(_ body: (ScrapingNode) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            try? await stop()
            throw error
        }
        try await stop()
    }

    /// The value of the `/metrics` series `name` (with its labels, as exposed), or nil.
    func metric(_ name: String) async throws -> Double? {
        let text = try await exchange("GET", base + "/metrics").rawBody
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Registers `name` and signs in: the token.
    func register(_ name: String) async throws -> String {
        let credentials = ["username": name, "password": "correct horse battery"]
        let registered = try await exchange("POST", base + "/api/auth/register", json: credentials)
        #expect(registered.status == 201, "\(registered.rawBody)")
        let login = try await exchange("POST", base + "/api/auth/login", json: credentials, headers: ["MovieMash-Min-Position": "\(registered.position ?? 0)"])
        #expect(login.status == 200, "\(login.rawBody)")
        return login.body["token"] as? String ?? ""
    }

    /// Polls the profile's state until it is no longer waiting (or a minute passes): the last answer.
    func settled(_ name: String) async throws -> HTTPExchange {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let answer = try await exchange("GET", base + "/api/letterboxd-users/\(name)")
            let waiting = answer.status == 404 || ["queued", "fetching"].contains(answer.body["state"] as? String ?? "")
            if !waiting || ContinuousClock.now > deadline { return answer }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

@Suite(.serialized) struct ScrapeServiceTests {
    static func events(in log: EventLog, from position: UInt64 = 0) throws -> [EventEnvelope] {
        try log.read(from: position).map { try EventEnvelope($0) }
    }

    /// Fifty members whose favourites come from a pool of films, as a past scrape left them in a log with
    /// some votes on their sets.
    static func world(_ fake: FakeLetterboxd) {
        fake.world.withLock { world in
            for index in 0..<60 { world.films["film-\(index)"] = .init(id: 5000 + index, title: "Film \(index)") }
            for user in 0..<50 { world.favourites["member_\(user)"] = (0..<4).map { "film-\((user * 3 + $0 * 7) % 60)" } }
        }
    }

    static func pastScrape(of fake: FakeLetterboxd, into directory: String, votes: Int) async throws -> [EventEnvelope] {
        var known = KnownCatalogue(), events: [EventEnvelope] = []
        let monthAgo = Timestamp.now.advanced(by: .seconds(-30 * 86_400))
        for user in 0..<50 {
            let scraped = try await Scrape.user("member_\(user)", from: fake, known: known, now: monthAgo)
            known.record(scraped.events)
            events += scraped.events.map { EventEnvelope(occurredAt: monthAgo, event: $0) }
        }
        let sets = known.latestSets.values.map(\.setID).sorted()
        var random = SplitMix64(seed: 9)
        for _ in 0..<votes {
            let a = sets[Int(random.next() % UInt64(sets.count))], b = sets[Int(random.next() % UInt64(sets.count))]
            guard a != b else { continue }
            events.append(EventEnvelope(occurredAt: monthAgo, event: .voteCast(try VoteCast(
                voteID: random.uuid(), userID: random.uuid(), setA: a, setB: b, winner: random.next() % 2 == 0 ? .setA : .setB,
                ticketID: random.uuid(), castAt: monthAgo))))
        }
        try await writeClosedLog(events, to: directory)
        return events
    }

    @Test func aScheduledPassOverFiftyUsersAppendsOnlyTheChangesAndARenamedFilmKeepsItsSetAndRatings() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fake = try await FakeLetterboxd.start()
        Self.world(fake)
        let past = try await Self.pastScrape(of: fake, into: directory.file("log"), votes: 400)
        let renamedSet = try #require(past.compactMap { if case .top4SetScraped(let s) = $0.event, s.letterboxdUser == "member_7" { s } else { nil } }.first)
        // Since then: three members changed a favourite (one to a film never catalogued), and Letterboxd
        // renamed a film in member_7's four (same id, new slug).
        fake.world.withLock { world in
            world.films["brand-new-film"] = .init(id: 9999, title: "Brand New Film")
            world.favourites["member_1"]![0] = "brand-new-film"
            world.favourites["member_2"]!.swapAt(0, 3)
            world.favourites["member_3"]![1] = "film-59" == world.favourites["member_3"]![1] ? "film-58" : "film-59"
            let old = world.favourites["member_7"]![2]
            world.films[old + "-1979"] = world.films[old]
            world.films[old] = nil
            world.favourites["member_7"]![2] = old + "-1979"
        }
        let node = try await ScrapingNode.start(log: directory.file("log"), letterboxd: fake, refresh: .seconds(4))
        try await node.stopping { node in
            let before = try await exchange("GET", node.base + "/api/sets/\(renamedSet.setID)")
            #expect(before.status == 200)
            // Every member was due (a month since the past scrape); a pass reads all fifty, spread over the
            // refresh interval.
            let read = try await eventually(timeout: .seconds(120)) {
                let changed = try await node.metric("moviemash_scrape_fetched_total{outcome=\"changed\"}") ?? 0
                let unchanged = try await node.metric("moviemash_scrape_fetched_total{outcome=\"unchanged\"}") ?? 0
                return changed >= 3 && changed + unchanged >= 50
            }
            let metrics = try await exchange("GET", node.base + "/metrics").rawBody.split(separator: "\n").filter { $0.hasPrefix("moviemash_scrape") }
            #expect(read, "not every member was read: \(metrics)")
            #expect(metrics.contains { $0.hasPrefix("moviemash_scrape_failed_total{kind=\"blocked\"} 0") } && !metrics.contains { $0.hasPrefix("moviemash_scrape_failed_total{kind=\"fetch") },
                    "\(metrics)")
            let log = try #require(node.server.log)
            let appended = try Self.events(in: log, from: UInt64(past.count))
            let sets = appended.compactMap { if case .top4SetScraped(let s) = $0.event { s.letterboxdUser } else { nil } }
            let films = appended.compactMap { if case .movieCatalogued(let m) = $0.event { m.movieID.slug } else { nil } }
            #expect(sets.sorted() == ["member_1", "member_2", "member_3"], "only the changed sets: \(sets)")
            #expect(films == ["brand-new-film"], "only the film never catalogued: \(films)")
            let profileRequests = fake.server.requests.filter { $0.path.hasPrefix("/member_") }
            let span = profileRequests.first!.at.duration(to: profileRequests.last!.at)
            #expect(span >= .seconds(2), "the pass is spread over the interval, not one burst: \(span)")

            // The renamed film is still the one film: member_7's set, its votes and ratings are as before.
            let after = try await exchange("GET", node.base + "/api/sets/\(renamedSet.setID)")
            #expect(after.status == 200)
            for field in ["wins", "losses", "appearances", "elo"] {
                #expect("\(after.body[field] ?? "-")" == "\(before.body[field] ?? "+")", "\(field) of the renamed film's set")
            }
            #expect(node.server.projectors.catalogue.current.state.latestSets["member_7"] == renamedSet.setID)
        }
        try await fake.server.shutdown()
    }

    @Test func aRunOf429sSlowsTheWholeQueueAndAChallengePausesItAndMetricsSaySo() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fake = try await FakeLetterboxd.start()
        Self.world(fake)
        fake.world.withLock { $0.tooMany["/member_0/"] = 6 }
        let node = try await ScrapingNode.start(
            log: directory.file("log"), letterboxd: fake, users: ["member_0", "member_1", "member_2"], refresh: .seconds(3600), rate: 50
        ) { $0.fetcher.maxAttempts = 8 }
        try await node.stopping { node in
            #expect(try await eventually(timeout: .seconds(60)) {
                try await node.metric("moviemash_scrape_fetched_total{outcome=\"changed\"}") == 3
            })
            // Before the 429s requests left every 20 ms or so; after them the pace is many times slower for
            // every page, not only the one that was refused.
            let requests = fake.server.requests.filter { $0.path != "/robots.txt" }
            let firstAfter = try #require(requests.firstIndex { $0.path == "/member_0/" } .map { $0 + 6 })
            try #require(requests.count > firstAfter + 1, "the page and those after it were requested")
            #expect(requests[firstAfter].path == "/member_0/", "six 429s, then the page")
            let gap = requests[firstAfter].at.duration(to: requests[firstAfter + 1].at)
            #expect(requests[firstAfter + 1].path != "/member_0/" && gap >= .milliseconds(500), "the next page waited \(gap)")

            // A challenge page: the service pauses and says so; a profile asked for meanwhile waits, unfetched.
            fake.world.withLock { world in
                world.favourites["gatekeeper"] = world.favourites["member_0"]
                world.challenged.insert("/gatekeeper/")
            }
            let token = try await node.register("voter_one")
            let asked = try await exchange("POST", node.base + "/api/letterboxd-users", json: ["username": "gatekeeper"], bearer: token)
            #expect(asked.status == 202, "\(asked.rawBody)")
            #expect(try await eventually(timeout: .seconds(60)) { try await node.metric("moviemash_scrape_paused") == 1 })
            #expect(try await node.metric("moviemash_scrape_failed_total{kind=\"blocked\"}") == 1)
            let blocked = try await exchange("GET", node.base + "/api/letterboxd-users/gatekeeper")
            #expect(blocked.body["state"] as? String == "blocked" && blocked.body["pausedUntil"] != nil, "\(blocked.rawBody)")
            let later = try await exchange("POST", node.base + "/api/letterboxd-users", json: ["username": "member_9"], bearer: token)
            #expect(later.status == 202 && later.body["state"] as? String == "blocked", "queued behind the pause: \(later.rawBody)")
        }
        #expect(fake.hits("/member_9/").isEmpty, "nothing is fetched while paused")
        try await fake.server.shutdown()
    }

    @Test func askingForProfilesPrivateMissingIncompleteTwiceAndClaimedByAnother() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let fake = try await FakeLetterboxd.start()
        Self.world(fake)
        fake.world.withLock { world in
            world.privateProfiles.insert("hidden_one")
            world.favourites["three_only"] = ["film-1", "film-2", "film-3"]
        }
        let node = try await ScrapingNode.start(log: directory.file("log"), letterboxd: fake) {
            ($0.schedule.requestsPerVoter, $0.schedule.requestsOverall) = (5, 100)
        }
        try await node.stopping { node in
            let alice = try await node.register("alice"), bob = try await node.register("bob")
            func ask(_ name: String, claim: Bool = false, as token: String) async throws -> HTTPExchange {
                try await exchange("POST", node.base + "/api/letterboxd-users", json: ["username": name, "claim": claim], bearer: token)
            }

            #expect(try await ask("hidden_one", as: alice).status == 202)
            #expect(try await node.settled("hidden_one").body["state"] as? String == "private")
            #expect(try await ask("nobody_here", as: alice).status == 202)
            let missing = try await node.settled("nobody_here")
            #expect(missing.body["state"] as? String == "not-found" && (missing.body["detail"] as? String ?? "").contains("no member"))
            #expect(try await ask("three_only", as: alice).status == 202)
            let three = try await node.settled("three_only")
            #expect(three.body["state"] as? String == "fewer-than-four" && three.body["favourites"] as? Int == 3, "\(three.rawBody)")

            // Alice claims member_4 as hers; asking again changes nothing and appends no second claim.
            let claimed = try await ask("Member_4", claim: true, as: alice)
            #expect([200, 202].contains(claimed.status) && claimed.body["claimedByYou"] as? Bool == true, "\(claimed.rawBody)")
            let again = try await ask("member_4", claim: true, as: alice)
            #expect([200, 202].contains(again.status) && again.body["claimedByYou"] as? Bool == true)
            let fetched = try await node.settled("member_4")
            #expect(fetched.body["state"] as? String == "fetched" && fetched.body["setID"] != nil, "\(fetched.rawBody)")
            let me = try await exchange("GET", node.base + "/api/me", bearer: alice)
            #expect(me.body["letterboxdUser"] as? String == "member_4")
            let log = try #require(node.server.log)
            #expect(try Self.events(in: log).filter { $0.type == .letterboxdClaimed }.count == 1)

            // Bob may ask for it, not claim it.
            let stolen = try await ask("member_4", claim: true, as: bob)
            #expect(stolen.status == 409 && stolen.rawBody.contains("letterboxd-name-claimed"), "\(stolen.rawBody)")
            #expect(try await ask("member_4", as: bob).status == 200, "fetched a moment ago: its state stands")

            // Bad names, no token, and the per-voter limit (five a day here; alice asked for four names).
            #expect(try await ask("not a name!", as: alice).status == 400)
            #expect(try await exchange("POST", node.base + "/api/letterboxd-users", json: ["username": "member_5"]).status == 401)
            #expect(try await exchange("GET", node.base + "/api/letterboxd-users/never_asked").status == 404)
            #expect(try await ask("member_5", as: alice).status == 202)
            let limited = try await ask("member_6", as: alice)
            #expect(limited.status == 429 && limited.rawBody.contains("letterboxd-request-limit") && limited.headers["retry-after"] != nil, "\(limited.rawBody)")

            // Switching one's claim appends an event each time: limited as account changes are (five at once).
            var answers: [Int] = []
            for name in Array(repeating: ["member_5", "member_4"], count: 5).flatMap({ $0 }) {
                let answer = try await ask(name, claim: true, as: alice)
                answers.append(answer.status)
                if answer.status == 429 {
                    #expect(answer.rawBody.contains("rate-limited") && answer.headers["retry-after"] != nil)
                    break
                }
            }
            #expect(answers.last == 429 && answers.dropLast().allSatisfy { [200, 202].contains($0) }, "\(answers)")
        }
        try await fake.server.shutdown()
    }
}
