import EventLog
import EventStore
import Foundation
import Gateway
import Logging
import MovieMashCore
import Projections
import Scraper
import ServiceLifecycle
import Synchronization

/// How a writer keeps Letterboxd favourites fresh (`--scrape`).
public struct ScrapeConfiguration: Sendable {
    /// Profiles kept fresh besides those the log knows.
    public var users: [String] = []
    public var fetcher = LetterboxdFetcher.Configuration()
    public var schedule = ScrapeSchedule.Settings()

    public init() {}

    /// The usernames in `file`: one per line, `#` starting a comment, blank lines skipped.
    public static func users(inFile file: String) throws(ConfigurationError) -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ConfigurationError("cannot read \(file)") }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension KnownCatalogue {
    /// What the catalogue projection knows: every film and each user's latest set.
    public init(_ catalogue: Catalogue) {
        self.init(movies: catalogue.movies, latestSets: catalogue.latestSets.compactMapValues { catalogue.sets[$0] })
    }
}

/// The scrape service of a writer: it refreshes every Letterboxd profile the log knows (and the configured
/// ones, and those voters claim) as `ScrapeSchedule` decides, and fetches those voters ask for first. All
/// fetches go through one `LetterboxdFetcher`, so the whole process keeps one pace per Letterboxd host. A
/// fetch appends only what changed, all of a profile or none of it; a challenge page pauses the service,
/// which says so in its log, in `/metrics` and in each waiting profile's state.
actor ScrapeService: Service, LetterboxdQueue {
    /// What `/metrics` shows, kept apart from the actor so the exposition reads it without waiting.
    struct Counts: Sendable {
        var profiles = 0
        var due = 0
        var queued = 0
        var fetched: [String: Int] = [:]
        /// Seeded with the kind operators watch for, so the series exists before the first challenge.
        var failed: [String: Int] = ["blocked": 0]
        var pausedUntil: Timestamp?
        var interval: Duration = .zero
    }

    private var schedule: ScrapeSchedule
    private let fetcher: LetterboxdFetcher
    private let appender: any EventAppender
    private let projectors: Projectors
    private let users: [String]
    private let logger: Logger
    /// Counts requests, so the loop wakes when one arrives.
    private let wake = PositionSignal()
    private var requests: UInt64 = 0
    /// How many Letterboxd users the catalogue held, and the claimed names, when the schedule took them in.
    private var synced: (users: Int, claims: [String]) = (0, [])
    private let counts = Mutex(Counts())

    init(configuration: ScrapeConfiguration, appender: any EventAppender, projectors: Projectors, logger: Logger) {
        schedule = ScrapeSchedule(settings: configuration.schedule)
        fetcher = LetterboxdFetcher(configuration: configuration.fetcher, logger: logger)
        self.appender = appender
        self.projectors = projectors
        users = configuration.users
        self.logger = logger
    }

    func run() async throws {
        // A fetch may wait minutes for its turn (a Retry-After); shutting down does not wait for it.
        await cancelWhenGracefulShutdown { await self.loop() }
        try? await fetcher.shutdown()
    }

    private func loop() async {
        let now = Timestamp.now
        for name in users { schedule.add(name, lastFetched: nil, now: now) }
        while !Task.isCancelled {
            syncKnownProfiles()
            let now = Timestamp.now
            await publish(now: now)
            switch schedule.next(now: now) {
            case .fetch(let name):
                await publish(now: now)
                let outcome = await fetch(name)
                guard !Task.isCancelled else { return }
                schedule.finished(name, outcome: outcome, now: .now)
            case .wait(let until):
                await sleep(for: min(now.duration(to: until), Self.lookAgain))
            case .idle:
                await sleep(for: Self.lookAgain)
            }
        }
    }

    /// How often an idle service looks for profiles the log has named since (a request wakes it at once).
    static let lookAgain: Duration = .seconds(1)

    /// Sleeps for `duration`, or until a request arrives or the node stops.
    private func sleep(for duration: Duration) async {
        let seen = requests
        _ = await PositionSignal.wait(for: [wake], until: seen + 1, within: max(duration, .milliseconds(1)))
    }

    /// Takes in the Letterboxd users the log (or a claim) has named since the last look. A new user adds a
    /// key to the catalogue's latest sets, so an unchanged count means nothing to take in.
    private func syncKnownProfiles() {
        let catalogue = projectors.catalogue.current.state, claims = projectors.accounts.current.state.claimedNames
        guard catalogue.latestSets.count != synced.users || claims != synced.claims else { return }
        synced = (catalogue.latestSets.count, claims)
        let now = Timestamp.now
        for (user, set) in catalogue.latestSets {
            schedule.add(user, lastFetched: catalogue.sets[set]?.scrapedAt, now: now)
        }
        for name in claims { schedule.add(name, lastFetched: nil, now: now) }
    }

    /// Fetches `name`, appends what changed, and waits until the projections show it (so the next fetch
    /// compares against it and a voter's next look sees it everywhere).
    private func fetch(_ name: String) async -> ScrapeSchedule.Outcome {
        if await fetcher.blockedBy != nil {
            await fetcher.resume()
            logger.notice("fetching from Letterboxd again after the pause")
        }
        let outcome: ScrapeSchedule.Outcome
        do {
            let now = Timestamp.now
            let scraped = try await Scrape.user(name, from: fetcher, known: KnownCatalogue(projectors.catalogue.current.state), now: now)
            if !scraped.events.isEmpty {
                let positions = try await appender.append(contentsOf: scraped.events.map { EventEnvelope(occurredAt: now, event: $0) })
                // Every read reflects the profile before its state says fetched: a voter who sees it read
                // finds its set on the leaderboards and in comparisons.
                _ = await projectors.reach((positions.last ?? 0) + 1, within: .seconds(60))
            }
            switch scraped.outcome {
            case .new, .unchanged: outcome = .fetched(changed: !scraped.events.isEmpty)
            case .incomplete(let favourites): outcome = .incomplete(favourites: favourites)
            }
        } catch let error as ScrapeError {
            switch error.code {
            case .notFound: outcome = .notFound
            case .privateProfile: outcome = .privateProfile
            case .blocked: outcome = .blocked
            default: outcome = .failed(error.code.name)
            }
            if error.code == .blocked {
                logger.warning("Letterboxd answered with a challenge page: pausing every fetch", metadata: ["user": "\(name)", "error": "\(error.message)"])
            } else if error.code != .notFound && error.code != .privateProfile {
                logger.warning("a Letterboxd profile could not be read", metadata: ["user": "\(name)", "error": "\(error)"])
            }
        } catch {
            // The log refused the append (a full disk, a failed writer): nothing was stored; try again later.
            logger.warning("cannot append a scrape", metadata: ["user": "\(name)", "error": "\(error)"])
            outcome = .failed("append-failed")
        }
        counts.withLock { counts in
            switch outcome {
            case .fetched(let changed): counts.fetched[changed ? "changed" : "unchanged", default: 0] += 1
            case .incomplete: counts.fetched["fewer-than-four", default: 0] += 1
            case .privateProfile: counts.fetched["private", default: 0] += 1
            case .notFound: counts.fetched["not-found", default: 0] += 1
            case .blocked: counts.failed["blocked", default: 0] += 1
            case .failed(let kind): counts.failed[kind, default: 0] += 1
            }
        }
        return outcome
    }

    private func publish(now: Timestamp) async {
        let interval = await fetcher.interval
        counts.withLock { counts in
            counts.profiles = schedule.refreshed
            counts.due = schedule.due(at: now)
            counts.queued = schedule.queue.count
            counts.pausedUntil = schedule.pausedUntil
            counts.interval = interval
        }
    }

    func request(_ username: String, by voter: UserID) async -> LetterboxdRequestDecision {
        let decision = schedule.request(username, by: voter, now: .now)
        await publish(now: .now)
        switch decision {
        case .queued, .fetching, .fresh:
            requests += 1
            wake.advance(to: requests)
            return .accepted
        case .voterLimit(let wait): return .voterLimit(retryAfter: wait)
        case .busy(let wait): return .busy(retryAfter: wait)
        }
    }

    func state(of username: String) async -> LetterboxdProfileState? {
        if schedule.isFetching(username) { return LetterboxdProfileState(phase: .fetching) }
        if let place = schedule.place(of: username) {
            return LetterboxdProfileState(phase: schedule.pausedUntil == nil ? .queued : .blocked, place: place, pausedUntil: schedule.pausedUntil)
        }
        guard let profile = schedule.profile(username), let outcome = profile.outcome else { return nil }
        let at = profile.lastFetched
        return switch outcome {
        case .fetched: LetterboxdProfileState(phase: .fetched, fetchedAt: at)
        case .incomplete(let favourites): LetterboxdProfileState(phase: .fewerThanFour, favourites: favourites, fetchedAt: at)
        case .privateProfile: LetterboxdProfileState(phase: .privateProfile, fetchedAt: at)
        case .notFound: LetterboxdProfileState(phase: .notFound, fetchedAt: at)
        case .blocked: LetterboxdProfileState(phase: .blocked, fetchedAt: at, pausedUntil: schedule.pausedUntil)
        case .failed: LetterboxdProfileState(phase: .failed, fetchedAt: at)
        }
    }

    /// The service's series for `/metrics`.
    nonisolated var samples: [GatewayMetrics.Sample] {
        let counts = counts.withLock { $0 }
        var samples = [
            GatewayMetrics.Sample(name: "scrape_profiles", help: "Letterboxd profiles the scrape service keeps fresh", value: Double(counts.profiles)),
            GatewayMetrics.Sample(name: "scrape_profiles_due", help: "Profiles whose scheduled refresh is due", value: Double(counts.due)),
            GatewayMetrics.Sample(name: "scrape_requests_queued", help: "Profiles voters asked for, waiting to be fetched", value: Double(counts.queued)),
            GatewayMetrics.Sample(
                name: "scrape_paused", help: "1 while a Letterboxd challenge page has paused every fetch",
                value: counts.pausedUntil.map { Timestamp.now < $0 ? 1 : 0 } ?? 0),
            GatewayMetrics.Sample(
                name: "scrape_request_interval_seconds", help: "The gap between requests to Letterboxd now (longer after 429s)",
                value: Double(counts.interval / .milliseconds(1)) / 1000),
        ]
        for outcome in ["changed", "unchanged", "fewer-than-four", "private", "not-found"] {
            samples.append(.init(
                name: "scrape_fetched", help: "Profiles read since start, by outcome (changed: events were appended)",
                labels: [("outcome", outcome)], value: Double(counts.fetched[outcome, default: 0]), kind: .counter))
        }
        for (kind, count) in counts.failed.sorted(by: { $0.key < $1.key }) {
            samples.append(.init(
                name: "scrape_failed", help: "Profile fetches that failed since start, by kind", labels: [("kind", kind)], value: Double(count),
                kind: .counter))
        }
        return samples
    }
}
