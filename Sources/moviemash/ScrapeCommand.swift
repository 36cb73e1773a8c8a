import ArgumentParser
import EventLog
import EventStore
import Foundation
import Logging
import MovieMashServer
import MovieMashCore
import Projections
import Scraper

/// `moviemash scrape`: bring Letterboxd favourites and film metadata into the log.
struct ScrapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrape",
        abstract: "Scrape Letterboxd users' top-4 favourites and their films into the log.",
        discussion: """
            Appends MovieCatalogued for films not yet catalogued (or changed) and Top4SetScraped only when a \
            user's favourites changed, so re-runs are idempotent. One user's failure never stops the others; \
            a Cloudflare or captcha page stops the scrape. Exit 1 if any user failed.
            """)

    @Option(help: "The log directory.") var data: String
    @OptionGroup var logging: LoggingOptions
    @Argument(help: "Letterboxd usernames.") var usernames: [String] = []
    @Option(name: .customLong("users"), help: "A file of usernames, one per line (# comments allowed).") var usersFile: String?
    @Option(help: "Read saved pages (DIR/USER.html, DIR/film/SLUG.html) instead of fetching.") var offline: String?
    @Option(help: "Requests per second to Letterboxd at most.") var rate = 0.5
    @Option(help: "Directory caching film pages.") var cache = ".moviemash-cache"
    @Option(help: "Days a cached film page stays fresh.") var cacheTtlDays = 30.0
    @Option(help: "Attempts per page before giving up.") var attempts = 5
    @Option(help: "The User-Agent header.") var userAgent = LetterboxdFetcher.Configuration().userAgent
    @Option(help: "Where Letterboxd is (for a mirror or a test server).") var baseUrl = "https://letterboxd.com"
    @Flag(help: "Ignore robots.txt (only for servers you run yourself).") var ignoreRobots = false
    @Option(help: "always, never or interval:MS.") var fsync: EventLog.FsyncPolicy = .always

    func run() async throws {
        var names = usernames
        if let usersFile {
            do { names += try ScrapeConfiguration.users(inFile: usersFile) } catch { throw ValidationError(error.message) }
        }
        guard !names.isEmpty else { throw ValidationError("name at least one user, or --users FILE") }
        guard rate > 0, cacheTtlDays >= 0, attempts > 0 else { throw ValidationError("--rate and --attempts must be positive") }

        var logConfiguration = EventLog.Configuration()
        logConfiguration.fsync = fsync
        let log = try EventLog(directory: data, configuration: logConfiguration)
        let appender = LogAppender(log: log)
        var catalogue = Catalogue()
        let reader = log.reader()
        while let stored = try reader.next() { catalogue.apply(try EventEnvelope(stored)) }
        var known = KnownCatalogue(catalogue)

        let logger = try logging.logger(label: "moviemash.scrape")
        var fetcher: LetterboxdFetcher?
        let source: any PageSource
        if let offline {
            source = SavedPages(directory: offline)
        } else {
            var settings = LetterboxdFetcher.Configuration()
            settings.baseURL = baseUrl.hasSuffix("/") ? String(baseUrl.dropLast()) : baseUrl
            settings.requestsPerSecond = rate
            settings.cacheDirectory = cache
            settings.filmCacheTTL = .seconds(cacheTtlDays * 86_400)
            settings.maxAttempts = attempts
            settings.userAgent = userAgent
            settings.respectRobots = !ignoreRobots
            fetcher = LetterboxdFetcher(configuration: settings, logger: logger)
            source = fetcher!
        }

        var outcomes: [String: Int] = [:], errors: [String: Int] = [:], films = 0
        var progress = Progress(total: UInt64(names.count), verb: "scraped", noun: "users")
        var stopped: ScrapeError?
        for (index, name) in names.enumerated() {
            do {
                let now = Timestamp.now
                let scraped = try await Scrape.user(name, from: source, known: known, now: now)
                _ = try await appender.append(contentsOf: scraped.events.map { EventEnvelope(occurredAt: now, event: $0) })
                known.record(scraped.events)
                films += scraped.filmsCatalogued
                switch scraped.outcome {
                case .new: outcomes["new", default: 0] += 1
                case .unchanged: outcomes["unchanged", default: 0] += 1
                case .incomplete: outcomes["fewer than four favourites", default: 0] += 1
                }
            } catch let error as ScrapeError {
                errors[error.code.name, default: 0] += 1
                FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
                if error.code == .blocked {
                    stopped = error
                    break
                }
            }
            progress.show(UInt64(index + 1))
        }
        progress.finish()
        try await fetcher?.shutdown()
        try await log.close()

        print("users       \(names.count)" + (stopped != nil ? " (stopped early: blocked)" : ""))
        print("sets        " + ["new", "unchanged", "fewer than four favourites"].map { "\(outcomes[$0, default: 0]) \($0)" }.joined(separator: ", "))
        print("films       \(films) catalogued")
        print("errors      " + (errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))
        if let stopped { FileHandle.standardError.write(Data("Error: \(stopped.message)\n".utf8)) }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}
