import Foundation
import Hummingbird
import HummingbirdBcrypt
import MovieMashCore
import NIOCore
import NIOPosix

/// Who a request comes from: access tokens and tickets (one key set, so any node verifies them) and
/// password checks. Apart from the write side, so a node that cannot append still signs people in.
public struct Authentication: Sendable {
    public var authority: TokenAuthority
    /// bcrypt's cost (log₂ rounds): 12 in service; tests may lower it (minimum 4).
    public let bcryptCost: UInt8
    /// What a login for a name nobody has checks its password against: hashed on NIO's blocking pool as the
    /// node starts, so that a quarter of a second of bcrypt delays neither its start nor its catching up.
    private let unknownUserHashing: Task<String, Never>
    /// The bounds on bcrypt work: a worker per core, a short queue, a small share per client address.
    let checks: PasswordChecks
    /// The delays after wrong passwords for a name, whatever the address.
    let throttle: LoginThrottles

    /// `workers` checks run at once (one per core by default), `queue` more wait, and one client address
    /// holds at most `perAddress` of them (running or waiting); beyond, 429 or 503 at once. After
    /// `freeFailures` wrong passwords for one name, its sign-ins wait `firstDelay`, then twice as long after
    /// each further one (`LoginThrottle`).
    public init(
        authority: TokenAuthority, bcryptCost: UInt8 = 12, workers: Int = System.coreCount, queue: Int? = nil, perAddress: Int = 1,
        freeFailures: Int = 5, firstDelay: Duration = .seconds(1)
    ) {
        self.authority = authority
        self.bcryptCost = max(4, min(bcryptCost, 31))
        let cost = self.bcryptCost
        unknownUserHashing = Task {
            let password = UUID.random().uuidString
            return (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }) ?? Bcrypt.hash(password, cost: cost)
        }
        checks = PasswordChecks(workers: workers, queueLimit: queue ?? 8 * workers, perAddress: perAddress)
        var throttling = LoginThrottle<ContinuousClock.Instant>.Configuration()
        throttling.freeFailures = max(1, freeFailures)
        throttling.baseDelay = firstDelay
        throttle = LoginThrottles(configuration: throttling)
    }

    /// The user a bearer token names (within `limiter`'s rate for them), once this node reflects the
    /// position the token carries (the node that signed them in knew them, so must this one), and while
    /// the accounts say the token still works: not signed out, not older than a password change, not of
    /// an erased account. That check is a few dictionary lookups, made on every request.
    func user(_ request: Request, readModel: ReadModel, limitedBy limiter: RateLimiter? = nil) async throws -> SignedInUser {
        let voter = try await authority.user(fromBearer: request.headers.value(.authorization))
        if let limiter, let wait = limiter.take(voter.id.rateLimitKey) { throw Problem.tooManyRequests(wait, who: "this voter") }
        try await readModel.consistency.require(voter.position)
        guard readModel.accounts().state.accepts(voter.id, tokenID: voter.tokenID, position: voter.position) else {
            throw Problem(.unauthorized, type: "token-ended", title: "Token ended",
                          detail: "this token no longer works (signed out, password changed, or account erased); log in again")
        }
        return voter
    }

    /// The hash a login for an unknown name is checked against, so that it costs what a known name's does.
    var unknownUserHash: String {
        get async { await unknownUserHashing.value }
    }

    // bcrypt runs on NIO's blocking pool: at cost 12 a hash takes about a quarter of a second, and Swift's
    // cooperative pool has a thread per core, so a few logins there would hold up every other request.
    func hash(_ password: String, for client: UInt128) async throws -> String {
        try await checks.run(for: client) {
            try await NIOThreadPool.singleton.runIfActive { [bcryptCost] in Bcrypt.hash(password, cost: bcryptCost) }
        }
    }

    /// Why no account can have `password`, or nil when one can: bcrypt reads no more than 72 bytes and
    /// stops at a NUL, so a password beyond either would be checked as a shorter one ("S\0ecret" as "S").
    /// Refused, not pre-hashed: every account made so far keeps signing in with its own password, unchanged.
    static func unusable(_ password: String) -> String? {
        if password.unicodeScalars.count < 8 || password.utf8.count > 72 {
            return "the password must be at least 8 characters and at most 72 bytes of UTF-8 (bcrypt reads no further)"
        }
        if password.utf8.contains(0) { return "the password must not contain the NUL character (bcrypt reads only up to it)" }
        return nil
    }

    /// Whether `password` matches `hash`. A password no account can have (`unusable`) never does, and is
    /// not hashed: an attacker's NUL-padded guess cannot match a prefix, nor cost a bcrypt round.
    func verify(_ password: String, hash: String, for client: UInt128) async throws -> Bool {
        guard Self.unusable(password) == nil else { return false }
        return try await checks.run(for: client) { try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) } }
    }
}
