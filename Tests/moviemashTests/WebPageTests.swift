import EventLog
import Foundation
import MovieMashCore
import Testing
import TestSupport

/// The web page in a real browser: `Tests/Browser/web_page.py` drives headless Chromium (with selenium)
/// against a live service on loopback holding the MovieLens demo data, as a newcomer meets it: the landing
/// page's example pair, the board (places in words, search, jump, cards on a phone), keyboard-only
/// registration, votes only where the pair is seen, focus and confirmation where the person looks,
/// recommendations with reasons, a rate-limit message with a retry, the account's votes, export, password
/// change, sign-out and deletion; screenshots at desktop and phone widths under `.build/screenshots`
/// (`landing.png` is the README's), and no console errors.
@Suite struct WebPageTests {
    @Test func aNewcomerSeesTheGameRegistersVotesWhereTheyLookAndReadsTheBoard() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let movieLens = try TestEnvironment.value(of: "MOVIEMASH_TEST_MOVIELENS", for: "MovieLens-100k")
        // The demo import, cut to its first 200 sets and the votes between them (about 800): the page meets
        // the same films and names, and the debug server's fits stay light beside the other tests.
        var kept = Set<SetID>()
        let events = try MovieLens(directory: movieLens).events(votesPerVoter: 20, seed: 1).filter { event in
            switch event.event {
            case .top4SetScraped(let set):
                guard kept.count < 200 else { return false }
                kept.insert(set.setID)
                return true
            case .voteCast(let vote): return kept.contains(vote.setA) && kept.contains(vote.setB)
            default: return true
            }
        }
        let log = try EventLog(directory: directory.file("log"))
        _ = try await log.append(contentsOf: events.map(LogRecord.init))
        try await log.close()

        let port = try freePort()
        // Fourteen comparisons and votes at once, then one a second: five votes pass, a burst beyond is refused.
        let server = try ServeCommandTests.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)", "--voter-limit", "1/14", "--account-limit", "1/10",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        // Ready once the first leaderboard fit is done: about 30 s in a debug build alone, longer beside the
        // rest of the suite.
        #expect(try await eventually(timeout: .seconds(240)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let page = await ServeCommandTests.get(base + "/")
        #expect(page?.status == 200 && page?.body.contains("<title>MovieMash") == true)

        let python = try TestEnvironment.tool("python3")
        _ = try TestEnvironment.tool("chromium")
        try await TestEnvironment.pythonPackages(["selenium"])
        let screenshots = repositoryRoot.appendingPathComponent(".build/screenshots").path
        let result = try await run(python, [
            repositoryRoot.appendingPathComponent("Tests/Browser/web_page.py").path, base, screenshots,
        ])
        #expect(result.status == 0, "the browser run failed:\n\(result.output.suffix(4000))\(result.error.suffix(6000))")
        for name in ["landing.png", "phone-landing.png", "phone-board.png", "desktop.png", "desktop-rate-limited.png", "phone.png",
                     "desktop-account-votes.png", "desktop-account.png"] {
            #expect(FileManager.default.fileExists(atPath: screenshots + "/" + name), "no screenshot \(name)")
        }
        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server) && server.terminationStatus == 0)
    }

    /// CORS in a real browser (`Tests/Browser/cross_origin.py`): a page on a second loopback origin that
    /// `--cors-origins` names registers, signs in, changes the password (PUT) and deletes the account
    /// (DELETE), both preflighted; a page on an origin not named cannot read even `/health`.
    @Test func aPageOnAnAllowedOriginUsesEveryMethodAndAnotherOriginIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var sample = SampleEvents(seed: 23, films: 12, sets: 3, voters: 2)
        try await writeClosedLog(sample.catalogueEvents(), to: directory.file("log"))
        let (port, allowed, other) = (try freePort(), try freePort(), try freePort())
        let server = try ServeCommandTests.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)", "--cors-origins", "http://127.0.0.1:\(allowed)",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/health")?.status == 200 })
        let python = try TestEnvironment.tool("python3")
        _ = try TestEnvironment.tool("chromium")
        try await TestEnvironment.pythonPackages(["selenium"])
        let result = try await run(python, [
            repositoryRoot.appendingPathComponent("Tests/Browser/cross_origin.py").path, base, "\(allowed)", "\(other)",
        ])
        #expect(result.status == 0, "the browser run failed:\n\(result.output.suffix(4000))\(result.error.suffix(6000))")
    }

    /// "Add your Letterboxd four" in the browser (`Tests/Browser/letterboxd_four.py`), the server reading a
    /// fake Letterboxd on loopback: private and missing profiles explained, a claim followed live until its
    /// four are in the game, and the claimed set shown as "your four" in a comparison.
    @Test func aVoterAddsTheirLetterboxdFourAndMeetsItAsTheirOwn() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var sample = SampleEvents(seed: 22, films: 12, sets: 3, voters: 2)
        try await writeClosedLog(sample.catalogueEvents(), to: directory.file("log"))
        let films = ["my-first", "my-second", "my-third", "my-fourth"]
        let letterboxd = try await FakeHTTPServer { path, _ in
            let page: String? = switch path {
            case "/my_four/":
                LetterboxdPages.profile(favourites: films.enumerated().map { ($1, 7000 + $0) })
            case "/hidden_profile/":
                LetterboxdPages.privateProfile
            default:
                films.firstIndex { path == "/film/\($0)/" }.map {
                    LetterboxdPages.film(slug: films[$0], id: 7000 + $0, title: "My Film \($0 + 1)", year: 1990 + $0)
                }
            }
            return page.map { .init(body: Array($0.utf8)) } ?? .init(status: 404, body: Array("<html><body>Not found</body></html>".utf8))
        }
        defer { Task { try? await letterboxd.shutdown() } }

        let port = try freePort()
        let server = try ServeCommandTests.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)", "--scrape", "on", "--letterboxd-url", letterboxd.baseURL,
            "--scrape-rate", "20", "--scrape-cache", directory.file("cache"),
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let python = try TestEnvironment.tool("python3")
        _ = try TestEnvironment.tool("chromium")
        try await TestEnvironment.pythonPackages(["selenium"])
        let screenshots = repositoryRoot.appendingPathComponent(".build/screenshots").path
        let result = try await run(python, [repositoryRoot.appendingPathComponent("Tests/Browser/letterboxd_four.py").path, base, screenshots])
        #expect(result.status == 0, "the browser run failed:\n\(result.output.suffix(4000))\(result.error.suffix(6000))")
        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server) && server.terminationStatus == 0)
    }
}
