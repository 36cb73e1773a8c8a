import ArgumentParser
import Gateway

extension RateLimiter.Limit: ExpressibleByArgument {
    /// `RATE/BURST`: requests per second refilled, and the most a client may send at once.
    public init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let rate = Double(parts[0]), let burst = Double(parts[1]),
              rate.isFinite, rate > 0, burst.isFinite, burst >= 1
        else { return nil }
        self.init(perSecond: rate, burst: burst)
    }
}
