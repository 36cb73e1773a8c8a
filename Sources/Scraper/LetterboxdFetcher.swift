import AsyncHTTPClient
import Foundation
import Logging
import MovieMashCore
import NIOCore
import NIOHTTP1

/// Fetches Letterboxd pages politely: one host, at most `requestsPerSecond` (with jitter) and slower while
/// Letterboxd answers `429` (`FetchPace`), robots.txt respected, `Retry-After` honoured, capped exponential
/// backoff with full jitter on 5xx and timeouts, block pages recognised (then everything stops until
/// `resume`), a descriptive User-Agent, and film pages cached on disk for `filmCacheTTL` (they rarely
/// change). One fetcher per host serves the whole process, so every caller shares its pace.
public actor LetterboxdFetcher {
    public struct Configuration: Sendable {
        public var baseURL = "https://letterboxd.com"
        public var requestsPerSecond = 0.5
        /// Each gap between requests is the interval times a factor drawn from 1 ± jitter.
        public var jitter = 0.25
        public var maxAttempts = 5
        /// Waits between attempts after a failure or a 5xx (a `429` waits for its `Retry-After`).
        public var backoff = Backoff(base: .seconds(2), cap: .seconds(120))
        /// A `Retry-After` longer than this fails the request instead of waiting.
        public var maxRetryAfter: Duration = .seconds(900)
        public var timeout: Duration = .seconds(30)
        public var userAgent = "MovieMash/1.0 (compares Letterboxd top-4 favourites; polite, cached, robots.txt-respecting scraper)"
        public var respectRobots = true
        /// Where film pages are cached; nil for no cache.
        public var cacheDirectory: String?
        public var filmCacheTTL: Duration = .seconds(30 * 86_400)

        public init() {}
    }

    /// What happened, for the summary.
    public struct Statistics: Sendable, Equatable {
        public var requests = 0
        public var retries = 0
        public var cacheHits = 0
        /// When the latest requests (at most 64) left, for checking the pace.
        public var dispatched: [ContinuousClock.Instant] = []
    }

    public let configuration: Configuration
    private let client: HTTPClient
    private let logger: Logger
    private var nextSlot = ContinuousClock.now
    private var robots: RobotsRules?
    private var blocked: ScrapeError?
    private var pace: FetchPace
    public private(set) var statistics = Statistics()

    /// The gap between requests now (before jitter): the configured one, or longer after `429`s.
    public var interval: Duration { pace.interval }
    /// The challenge page that stopped the fetcher, until `resume`.
    public var blockedBy: ScrapeError? { blocked }

    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        pace = FetchPace(interval: .seconds(1 / max(configuration.requestsPerSecond, 1e-6)))
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .follow(max: 5, allowCycles: false)
        http.timeout = .init(connect: .seconds(10), read: .seconds(Int64(configuration.timeout / .seconds(1))))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Fetches again after a challenge page stopped everything (the caller decided the pause was long enough).
    public func resume() {
        blocked = nil
    }

    /// Closes the HTTP client; call once when done.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// The profile page of `username`.
    public func profile(_ username: String) async throws(ScrapeError) -> [UInt8] {
        try await get("/\(username)/")
    }

    /// The page of film `slug`, from the cache while it is fresh.
    public func film(_ slug: String) async throws(ScrapeError) -> [UInt8] {
        let cached = configuration.cacheDirectory.map { "\($0)/film/\(slug).html" }
        if let cached, let attributes = try? FileManager.default.attributesOfItem(atPath: cached),
           let modified = attributes[.modificationDate] as? Date,
           Date().timeIntervalSince(modified) < configuration.filmCacheTTL / .seconds(1),
           let data = FileManager.default.contents(atPath: cached) {
            statistics.cacheHits += 1
            return [UInt8](data)
        }
        let page = try await get("/film/\(slug)/")
        if let cached {
            try? FileManager.default.createDirectory(
                atPath: (cached as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? Data(page).write(to: URL(fileURLWithPath: cached), options: .atomic)
        }
        return page
    }

    /// GETs `path` under the base URL with every politeness rule applied.
    public func get(_ path: String) async throws(ScrapeError) -> [UInt8] {
        if let blocked { throw blocked }
        if configuration.respectRobots {
            let rules = try await robotsRules()
            guard rules.allows(path) else {
                throw ScrapeError(.disallowed, "robots.txt of \(configuration.baseURL) disallows \(path)")
            }
        }
        return try await fetch(path, allowMissing: false)!
    }

    private func robotsRules() async throws(ScrapeError) -> RobotsRules {
        if let robots { return robots }
        let text = try await fetch("/robots.txt", allowMissing: true).map { String(decoding: $0, as: UTF8.self) }
        let token = String(configuration.userAgent.prefix { $0 != "/" && $0 != " " })
        let rules = text.map { RobotsRules(parsing: $0, agent: token) } ?? .allowAll
        robots = rules
        return rules
    }

    /// Waits for this request's turn. A turn is taken only when the request really leaves: a caller that
    /// wakes late (a busy machine) pushes the next turn back rather than letting two requests leave
    /// together, and callers that wake at once go one at a time (the actor runs them in turn).
    private func waitForSlot() async throws(ScrapeError) {
        while ContinuousClock.now < nextSlot { try await sleep(until: nextSlot) }
        let factor = 1 + configuration.jitter * Double.random(in: -1...1)
        let now = ContinuousClock.now
        nextSlot = now + pace.interval * factor
        statistics.dispatched.append(now)
        if statistics.dispatched.count > 64 { statistics.dispatched.removeFirst() }
    }

    private func sleep(until instant: ContinuousClock.Instant) async throws(ScrapeError) {
        do { try await Task.sleep(until: instant) } catch { throw ScrapeError(.fetch, "cancelled") }
    }

    /// One path with retries; nil for a 404 when `allowMissing`.
    private func fetch(_ path: String, allowMissing: Bool) async throws(ScrapeError) -> [UInt8]? {
        var lastFailure = "", lastError: (any Error & Sendable)?
        for attempt in 0..<max(1, configuration.maxAttempts) {
            try await waitForSlot()
            statistics.requests += 1
            if attempt > 0 { statistics.retries += 1 }
            var request = HTTPClientRequest(url: configuration.baseURL + path)
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            request.headers.add(name: "Accept", value: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
            let status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8]
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(configuration.timeout / .seconds(1))), logger: logger)
                status = response.status
                headers = response.headers
                body = Array(buffer: try await response.body.collect(upTo: 16 << 20))
            } catch {
                lastFailure = "\(error)"
                lastError = error
                try await backOff(attempt: attempt, reason: "\(path): \(error)")
                continue
            }
            switch status.code {
            case 200..<300:
                if let block = Self.blockPage(body, path: path) {
                    blocked = block
                    throw block
                }
                pace.succeeded()
                return body
            case 404, 410:
                if allowMissing { return nil }
                throw ScrapeError(.notFound, "\(configuration.baseURL)\(path) does not exist (HTTP \(status.code))")
            case 429:
                let wait = Self.retryAfter(headers.first(name: "Retry-After")) ?? backoffDelay(attempt: attempt)
                guard wait <= configuration.maxRetryAfter else {
                    throw ScrapeError(.fetch, "\(path): Letterboxd asks to wait \(wait) (Retry-After), longer than the \(configuration.maxRetryAfter) allowed")
                }
                logger.notice("rate limited; waiting as asked", metadata: ["path": "\(path)", "seconds": "\(wait / .seconds(1))"])
                lastFailure = "HTTP 429"
                pace.rateLimited()
                nextSlot = max(nextSlot, ContinuousClock.now + wait)
            case 403, 500..<600:
                if let block = Self.blockPage(body, path: path) {
                    blocked = block
                    throw block
                }
                if status.code == 403 {
                    throw ScrapeError(.fetch, "\(configuration.baseURL)\(path) answered HTTP 403 (forbidden)")
                }
                lastFailure = "HTTP \(status.code)"
                try await backOff(attempt: attempt, reason: "\(path): HTTP \(status.code)")
            default:
                throw ScrapeError(.fetch, "\(configuration.baseURL)\(path) answered HTTP \(status.code)")
            }
        }
        throw ScrapeError(.fetch, "\(configuration.baseURL)\(path) failed \(configuration.maxAttempts) times; last: \(lastFailure)", cause: lastError)
    }

    private func backoffDelay(attempt: Int) -> Duration {
        var random = SystemRandomNumberGenerator()
        return configuration.backoff.delay(attempt: attempt, using: &random)
    }

    private func backOff(attempt: Int, reason: String) async throws(ScrapeError) {
        guard attempt + 1 < configuration.maxAttempts else { return }
        let delay = backoffDelay(attempt: attempt)
        logger.info("retrying after a failure", metadata: ["reason": "\(reason)", "seconds": "\(delay / .seconds(1))"])
        nextSlot = max(nextSlot, ContinuousClock.now + delay)
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, date.timeIntervalSinceNow))
    }

    static func blockPage(_ body: [UInt8], path: String) -> ScrapeError? {
        guard let page = try? HTMLDocument(body) else { return nil }
        do {
            try LetterboxdPage.rejectBlockPages(page, what: path)
            return nil
        } catch {
            return ScrapeError(.blocked, error.message + "; stopping: try again later, more slowly")
        }
    }
}

/// The gap between a fetcher's requests: the configured one, doubled by each `429` (up to `slowest`) and
/// brought back a fifth at a time by successes, so a run of `429`s slows every caller of the fetcher
/// until Letterboxd has been answering normally for a while.
public struct FetchPace: Sendable, Equatable {
    public let configured: Duration
    public let slowest: Duration
    public private(set) var interval: Duration

    public init(interval: Duration, slowest: Duration? = nil) {
        configured = interval
        self.slowest = max(interval, slowest ?? max(interval * 64, .seconds(300)))
        self.interval = interval
    }

    /// Letterboxd answered `429`.
    public mutating func rateLimited() {
        interval = min(slowest, interval * 2)
    }

    /// A page came back.
    public mutating func succeeded() {
        interval = max(configured, interval * 0.8)
    }
}
