/// Capped exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base · 2ⁿ)].
/// Every retry loop uses it: the mirror reconnecting to PostgreSQL, the scraper's fetcher after a 5xx.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    private(set) var attempt = 0

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(10)) {
        self.base = base
        self.cap = cap
    }

    /// The next delay; each call doubles the ceiling until it reaches `cap`.
    public mutating func next(using random: inout some RandomNumberGenerator) -> Duration {
        defer { attempt += 1 }
        return delay(attempt: attempt, using: &random)
    }

    /// The delay of attempt `attempt` (0 first), for loops that count their attempts themselves.
    public func delay(attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let ceiling = min(cap, base * (1 << min(max(attempt, 0), 30)))
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds), using: &random))
    }

    /// Starts over after a success.
    public mutating func reset() {
        attempt = 0
    }
}
