import Foundation
import NIOCore
import Synchronization

/// Token buckets by key: each holds up to `burst` tokens and refills at `perSecond`; a request takes one.
/// Guarded by a lock: taking a token is a few arithmetic steps on every request. Keys are 128-bit numbers
/// (a user id, an IP address) rather than text: formatting an id or address as text on every request
/// cost more than the bucket.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        /// Parses `RATE/BURST`: requests per second refilled, and the most a client may send at once.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let rate = Double(parts[0]), let burst = Double(parts[1]),
                  rate.isFinite, rate > 0, burst.isFinite, burst >= 1
            else { return nil }
            self.init(perSecond: rate, burst: burst)
        }
    }

    private let limit: Limit
    private let buckets = Mutex<[UInt128: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    public init(_ limit: Limit) {
        self.limit = limit
    }

    /// Takes a token for `key`; when none is left, how long until one is.
    public func take(_ key: UInt128) -> Duration? {
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

extension UUID {
    /// The id's 128 bits, as a rate limiter's key.
    var rateLimitKey: UInt128 { withUnsafeBytes(of: uuid) { $0.loadUnaligned(as: UInt128.self) } }
}

extension SocketAddress {
    /// The IP address without its port, as a rate limiter's key (0 for a Unix domain socket).
    var rateLimitKey: UInt128 {
        switch self {
        case .v4(let address): UInt128(UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address): withUnsafeBytes(of: address.address.sin6_addr) { $0.loadUnaligned(as: UInt128.self) }
        case .unixDomainSocket: 0
        }
    }
}
