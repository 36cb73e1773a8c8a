import Synchronization

/// Growing delays after wrong passwords for one name, counted whatever the address, so spreading guesses
/// over many addresses buys an attacker nothing; never a lockout.
///
/// After `freeFailures` wrong passwords in a row the next attempt for the name waits `baseDelay`, then
/// twice that after each further one, at most `maximumDelay`; a success or `forgetAfter` without a failure
/// clears the count. A person is not locked out by someone guessing their name (OWASP's authentication
/// guidance): the delay is bounded, and an address that signed in to the name within `trustFor` keeps its
/// own count, so guesses from elsewhere never delay the person where they usually sign in. Unknown names
/// are counted like known ones, so a delay tells nothing about which names exist. A pure decision with an
/// injected clock; `Authentication` holds one for the node.
struct LoginThrottle<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    struct Configuration: Sendable {
        var freeFailures = 5
        var baseDelay: Duration = .seconds(1)
        var maximumDelay: Duration = .seconds(300)
        var forgetAfter: Duration = .seconds(3_600)
        var trustFor: Duration = .seconds(30 * 86_400)
        /// Names (and trusted name–address pairs) tracked at most; the entries idle longest go first.
        var capacity = 100_000
    }

    enum Decision: Equatable, Sendable {
        case check
        /// Refuse without a password check: the name's next attempt is not before this instant.
        case wait(until: Instant)
    }

    private struct Failures: Sendable {
        var count: Int
        var last: Instant
        var notBefore: Instant
    }

    private struct Key: Hashable, Sendable {
        var name: String
        /// nil: the name's count from every untrusted address.
        var address: UInt128?

        /// Names are counted as accounts know them, case-blind; no account name is longer than 32
        /// characters, so a longer one is kept to 33 (a flood of huge names cannot fill memory).
        init(_ name: String, _ address: UInt128?) {
            self.name = String(String.UnicodeScalarView(name.lowercased().unicodeScalars.prefix(33)))
            self.address = address
        }
    }

    let configuration: Configuration
    private var failures: [Key: Failures] = [:]
    /// Name–address pairs that signed in, and when they last did.
    private var trusted: [Key: Instant] = [:]

    init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Names and name–address pairs with a count now.
    var tracked: Int { failures.count }

    /// Whether a sign-in for `name` from `address` may check its password now.
    func attempt(_ name: String, from address: UInt128, now: Instant) -> Decision {
        guard let entry = failures[key(name, address, now: now)], entry.last.duration(to: now) < configuration.forgetAfter,
              now < entry.notBefore
        else { return .check }
        return .wait(until: entry.notBefore)
    }

    /// The password was wrong (or the name unknown).
    mutating func failed(_ name: String, from address: UInt128, now: Instant) {
        let key = key(name, address, now: now)
        var entry = failures[key].flatMap { $0.last.duration(to: now) < configuration.forgetAfter ? $0 : nil }
            ?? Failures(count: 0, last: now, notBefore: now)
        entry.count += 1
        entry.last = now
        entry.notBefore = now.advanced(by: Self.delay(after: entry.count, configuration: configuration))
        if failures[key] == nil { makeRoom(in: &failures, now: now) { $0.last } }
        failures[key] = entry
    }

    /// The password was right: the count from this address ends and the address is trusted for the name.
    mutating func succeeded(_ name: String, from address: UInt128, now: Instant) {
        let pair = Key(name, address)
        failures[pair] = nil
        if trusted[pair] == nil { makeRoom(in: &trusted, now: now) { $0 } }
        trusted[pair] = now
        // Only a person who knows the password gets here: the shared count is theirs to end too.
        failures[Key(pair.name, nil)] = nil
    }

    /// The wait before the attempt after `count` failures in a row.
    static func delay(after count: Int, configuration: Configuration) -> Duration {
        guard count >= configuration.freeFailures else { return .zero }
        let doublings = min(count - configuration.freeFailures, 30)
        return min(configuration.baseDelay * (1 << doublings), configuration.maximumDelay)
    }

    /// The count a sign-in from `address` falls under: its own where it signed in to the name lately.
    private func key(_ name: String, _ address: UInt128, now: Instant) -> Key {
        let pair = Key(name, address)
        if let since = trusted[pair], since.duration(to: now) < configuration.trustFor { return pair }
        return Key(pair.name, nil)
    }

    /// Keeps `table` under `capacity` before an insertion: the entry idle longest goes.
    private func makeRoom<Value>(in table: inout [Key: Value], now: Instant, lastUsed: (Value) -> Instant) {
        guard table.count >= configuration.capacity, let oldest = table.min(by: { lastUsed($0.value) < lastUsed($1.value) }) else { return }
        table[oldest.key] = nil
    }
}

/// The node's `LoginThrottle` on the continuous clock.
final class LoginThrottles: Sendable {
    private let state: Mutex<LoginThrottle<ContinuousClock.Instant>>

    init(configuration: LoginThrottle<ContinuousClock.Instant>.Configuration = .init()) {
        state = Mutex(LoginThrottle(configuration: configuration))
    }

    /// Throws 429 with `Retry-After` while `name` must wait.
    func admit(_ name: String, from address: UInt128) throws {
        let now = ContinuousClock.now
        guard case .wait(let until) = state.withLock({ $0.attempt(name, from: address, now: now) }) else { return }
        let wait = now.duration(to: until)
        let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
        throw Problem(.tooManyRequests, type: "sign-in-delayed", title: "Sign-in delayed",
                      detail: "too many wrong passwords for this name lately; retry in \(seconds) s", retryAfter: seconds)
    }

    func record(_ name: String, from address: UInt128, success: Bool) {
        let now = ContinuousClock.now
        state.withLock { success ? $0.succeeded(name, from: address, now: now) : $0.failed(name, from: address, now: now) }
    }
}
