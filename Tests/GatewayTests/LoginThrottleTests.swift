import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

extension ManualClock.Instant {
    fileprivate init(_ seconds: Int64) { self.init(offset: .seconds(seconds)) }
    fileprivate static func + (instant: Self, duration: Duration) -> Self { instant.advanced(by: duration) }
}

@Suite struct LoginThrottleTests {
    typealias ManualInstant = ManualClock.Instant
    typealias Throttle = LoginThrottle<ManualInstant>
    let configuration = Throttle.Configuration(
        freeFailures: 3, baseDelay: .seconds(1), maximumDelay: .seconds(8), forgetAfter: .seconds(3_600), trustFor: .seconds(86_400), capacity: 4)

    /// Delays grow from the free failures on, double, stop at the maximum, and are counted by name whatever
    /// the address or the letter case; a name nobody has is counted the same.
    @Test func delaysGrowPerNameWhateverTheAddressAndStopAtTheMaximum() {
        var throttle = Throttle(configuration: configuration)
        var now = ManualInstant(0)
        for address: UInt128 in 1...3 {
            #expect(throttle.attempt("Victim", from: address, now: now) == .check)
            throttle.failed("Victim", from: address, now: now)
        }
        #expect(throttle.attempt("victim", from: 99, now: now) == .wait(until: now + .seconds(1)), "a new address waits as well")
        #expect(throttle.attempt("someone-else", from: 1, now: now) == .check)
        var waits: [Duration] = []
        for failure in 0..<6 {
            now = now + .seconds(10)
            throttle.failed("victim", from: UInt128(10 + failure), now: now)
            guard case .wait(let until) = throttle.attempt("victim", from: 1, now: now) else { Issue.record("no delay"); return }
            waits.append(now.duration(to: until))
        }
        #expect(waits == [.seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8), .seconds(8)])
        #expect(throttle.attempt("victim", from: 1, now: now + .seconds(8)) == .check, "a delay, never a lockout")
        #expect(Throttle.delay(after: 2, configuration: configuration) == .zero)
        #expect(Throttle.delay(after: 1_000, configuration: configuration) == .seconds(8), "no overflow however long it goes on")

        for _ in 0..<3 { throttle.failed("nobody-has-this", from: 5, now: now) }
        #expect(throttle.attempt("nobody-has-this", from: 6, now: now) != .check, "unknown names are counted like known ones")
    }

    /// Where the person signed in lately, another's guesses never delay them; their own mistakes there
    /// still count. A right password ends the count, and so does an hour without failures.
    @Test func guessesFromElsewhereNeverDelayThePersonWhereTheySignIn() {
        var throttle = Throttle(configuration: configuration)
        var now = ManualInstant(0)
        let home: UInt128 = 7, attacker: UInt128 = 666
        throttle.succeeded("person", from: home, now: now)
        for _ in 0..<20 { throttle.failed("person", from: attacker, now: now) }
        #expect(throttle.attempt("person", from: attacker, now: now) != .check)
        #expect(throttle.attempt("person", from: home, now: now) == .check, "the person's usual address keeps its own count")
        for _ in 0..<3 { throttle.failed("person", from: home, now: now) }
        #expect(throttle.attempt("person", from: home, now: now) == .wait(until: now + .seconds(1)))

        now = now + .seconds(1)
        throttle.succeeded("person", from: home, now: now)
        #expect(throttle.attempt("person", from: home, now: now) == .check)
        #expect(throttle.attempt("person", from: attacker, now: now) == .check, "a right password ends the shared count too")

        for _ in 0..<10 { throttle.failed("quiet", from: 1, now: now) }
        #expect(throttle.attempt("quiet", from: 1, now: now + .seconds(3_600)) == .check)
        throttle.failed("quiet", from: 1, now: now + .seconds(3_600))
        #expect(throttle.attempt("quiet", from: 1, now: now + .seconds(3_600)) == .check, "an hour without failures starts the count over")

        let trustedBefore = now
        now = now + .seconds(86_400)
        for _ in 0..<3 { throttle.failed("person", from: attacker, now: now) }
        #expect(throttle.attempt("person", from: home, now: now) != .check, "trust lapses \(trustedBefore) + a day later")
    }

    /// The table never outgrows its capacity, whatever names a flood sends: the idlest entry goes.
    @Test func aFloodOfNamesCannotGrowTheTable() {
        var throttle = Throttle(configuration: configuration)
        for index in 0..<3 { throttle.failed("target", from: 1, now: ManualInstant(Int64(index))) }
        for index in 0..<100 {
            throttle.failed(String(repeating: "x", count: 10_000) + "\(index)", from: 2, now: ManualInstant(Int64(10 + index)))
        }
        #expect(throttle.tracked <= configuration.capacity)
    }

    /// Over HTTP, on a real loopback server, with the client address forwarded by a trusted proxy: wrong
    /// passwords for one name from five addresses delay a sixth address's right one (429, Retry-After,
    /// no password check), while the address the person signed in from before goes straight in.
    @Test func wrongPasswordsFromManyAddressesDelayTheNameButNotWhereThePersonSignsIn() async throws {
        // A minute's delay: however slow a loaded machine makes the five wrong sign-ins, it has not passed.
        let (app, _) = await writeApp(trustedProxies: ["127.0.0.1"], firstSignInDelay: .seconds(60))
        try await app.test(.live) { client in
            func login(_ password: String, from address: String) async throws -> TestResponse {
                var headers = jsonType
                headers[HTTPFields.Element.Name("X-Forwarded-For")!] = address
                return try await client.execute(
                    uri: "/api/auth/login", method: .post, headers: headers, body: json(Credentials(username: "victim", password: password)))
            }
            _ = try await client.login("victim")
            #expect(try await login("correct horse battery", from: "10.0.0.1").status == .ok)
            for address in 2...6 {
                #expect(try await login("wrong guess number \(address)", from: "10.0.0.\(address)").status == .unauthorized)
            }
            let delayed = try await login("correct horse battery", from: "10.0.0.7")
            #expect(delayed.status == .tooManyRequests && Int(delayed.headers[.retryAfter] ?? "") ?? 0 > 50, "\(delayed.status)")
            #expect(try problem(delayed.body).type.hasSuffix("/sign-in-delayed"))
            #expect(try await login("correct horse battery", from: "10.0.0.1").status == .ok, "where the person signed in, no delay")
        }
    }
}
