import Foundation
@testable import Gateway
import NIOCore
import Testing

@Suite struct RateLimiterTests {
    @Test func addressKeysIgnoreThePortAndTellAddressesApart() throws {
        func key(_ ip: String, _ port: Int) throws -> UInt128 { try SocketAddress(ipAddress: ip, port: port).rateLimitKey }
        #expect(try key("192.0.2.7", 1000) == key("192.0.2.7", 2000))
        #expect(try key("192.0.2.7", 1000) != key("192.0.2.8", 1000))
        #expect(try key("2001:db8::1", 1000) == key("2001:db8::1", 2000))
        #expect(try key("2001:db8::1", 1000) != key("2001:db8::2", 1000))
        #expect(try key("2001:db8::1", 1000) != key("2001:db9::1", 1000))
    }

    @Test func aKeyRunsDryAfterItsBurstWhileOthersKeepTheirs() {
        let limiter = RateLimiter(.init(perSecond: 0.001, burst: 3))
        let voter = UUID.random(), other = UUID.random()
        #expect(voter.rateLimitKey != other.rateLimitKey)
        #expect((0..<3).allSatisfy { _ in limiter.take(voter.rateLimitKey) == nil })
        #expect(limiter.take(voter.rateLimitKey) != nil)
        #expect(limiter.take(other.rateLimitKey) == nil)
    }
}
