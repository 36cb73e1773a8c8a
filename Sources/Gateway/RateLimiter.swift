import Foundation

/// Token buckets by key: each holds up to `burst` tokens and refills at `perSecond`; a request takes one.
public actor RateLimiter {
    public struct Limit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    private let limit: Limit
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    public init(_ limit: Limit) {
        self.limit = limit
    }

    /// Takes a token for `key`; when none is left, how long until one is.
    public func take(_ key: String) -> Duration? {
        let now = ContinuousClock.now
        var bucket = buckets[key] ?? (limit.burst, now)
        bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.at) / .seconds(1) * limit.perSecond)
        bucket.at = now
        defer {
            buckets[key] = bucket
            if buckets.count > 100_000 { forgetFullBuckets(now: now) }
        }
        guard bucket.tokens >= 1 else { return .seconds((1 - bucket.tokens) / max(limit.perSecond, 1e-9)) }
        bucket.tokens -= 1
        return nil
    }

    /// Buckets that would be full again carry no information.
    private func forgetFullBuckets(now: ContinuousClock.Instant) {
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.at) / .seconds(1) * limit.perSecond < limit.burst }
    }
}
