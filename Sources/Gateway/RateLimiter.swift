import Foundation
import Synchronization

/// Token buckets by key: each holds up to `burst` tokens and refills at `perSecond`; a request takes one.
/// Guarded by a lock: taking a token is a few arithmetic steps on every request.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    private let limit: Limit
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    public init(_ limit: Limit) {
        self.limit = limit
    }

    /// Takes a token for `key`; when none is left, how long until one is.
    public func take(_ key: String) -> Duration? {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? (limit.burst, now)
            bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.at) / .seconds(1) * limit.perSecond)
            bucket.at = now
            defer {
                buckets[key] = bucket
                // Buckets that would be full again carry no information.
                if buckets.count > 100_000 {
                    buckets = buckets.filter { $0.value.tokens + (now - $0.value.at) / .seconds(1) * limit.perSecond < limit.burst }
                }
            }
            guard bucket.tokens >= 1 else { return .seconds((1 - bucket.tokens) / max(limit.perSecond, 1e-9)) }
            bucket.tokens -= 1
            return nil
        }
    }
}
