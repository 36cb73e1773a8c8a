import Foundation
import JWTKit
import MovieMashCore
import Synchronization

/// Signing keys from configuration: `KID:SECRET` pairs, the first signing, all verifying (rotation: add
/// the new key first, keep the old until its tokens have expired). Secrets need 32 bytes or more.
public struct SigningKeys: Sendable {
    public var keys: [(id: String, secret: String)]

    /// Parses `kid1:secret1,kid2:secret2`.
    public init(parsing text: String) throws(Problem) {
        var keys: [(id: String, secret: String)] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.count >= 32 else {
                throw Problem(.internalServerError, type: "configuration", title: "Bad signing keys",
                              detail: "signing keys are KID:SECRET pairs separated by commas, each secret at least 32 bytes")
            }
            keys.append((parts[0], parts[1]))
        }
        guard !keys.isEmpty else {
            throw Problem(.internalServerError, type: "configuration", title: "Bad signing keys", detail: "no signing key given")
        }
        self.keys = keys
    }

    func collection(purpose: String) async -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        for key in keys {
            // One secret, two purposes: tokens and tickets never verify as each other.
            await collection.add(hmac: HMACKey(from: key.secret + ":" + purpose), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
        }
        return collection
    }
}

/// The claims of an access token (after login).
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var name: String
    var typ: String
    var exp: ExpirationClaim
    var iat: IssuedAtClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
        guard typ == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
    }
}

/// The claims of a ticket: this voter may vote once on this pair until `exp`.
struct TicketClaims: JWTPayload {
    var jti: IDClaim
    var sub: SubjectClaim
    var a: String
    var b: String
    var typ: String
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
        guard typ == "ticket" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not a ticket") }
    }
}

/// Issues and checks access tokens and tickets.
public final class TokenAuthority: Sendable {
    private let access: JWTKeyCollection
    private let tickets: JWTKeyCollection
    private let signingKey: String
    public let accessLifetime: Duration
    public let ticketLifetime: Duration
    /// Access tokens already verified, with what they say: a client sends the same token with every
    /// request, and checking it once is enough until it expires.
    private let verified = Mutex<[String: (id: UserID, name: String, expires: Date)]>([:])

    public init(keys: SigningKeys, accessLifetime: Duration = .seconds(3600), ticketLifetime: Duration = .seconds(600)) async {
        access = await keys.collection(purpose: "access")
        tickets = await keys.collection(purpose: "tickets")
        signingKey = keys.keys[0].id
        self.accessLifetime = accessLifetime
        self.ticketLifetime = ticketLifetime
    }

    func accessToken(for user: UserID, name: String) async throws -> (token: String, expires: Date) {
        let expires = Date().addingTimeInterval(accessLifetime / .seconds(1))
        let claims = AccessClaims(sub: .init(value: user.uuidString), name: name, typ: "access", exp: .init(value: expires), iat: .init(value: Date()))
        return (try await access.sign(claims, kid: JWKIdentifier(string: signingKey)), expires)
    }

    /// The user an `Authorization: Bearer` token names, or a 401 problem.
    func user(fromBearer header: String?) async throws(Problem) -> (id: UserID, name: String) {
        guard let header, header.utf8.count > 7, header.utf8.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else {
            throw Problem(.unauthorized, type: "unauthenticated", title: "Not logged in", detail: "send Authorization: Bearer <token> from POST /api/auth/login")
        }
        let token = String(Substring(header.utf8.dropFirst(7).drop { $0 == 0x20 || $0 == 0x09 }))
        let now = Date()
        if let known = verified.withLock({ $0[token] }), known.expires > now { return (known.id, known.name) }
        do {
            let claims = try await access.verify(token, as: AccessClaims.self)
            guard let id = UUID(uuidString: claims.sub.value) else { throw JWTError.malformedToken(reason: "subject") }
            verified.withLock { verified in
                if verified.count >= 50_000 { verified = verified.filter { $0.value.expires > now } }
                if verified.count < 50_000 { verified[token] = (id, claims.name, claims.exp.value) }
            }
            return (id, claims.name)
        } catch {
            throw Problem(.unauthorized, type: "invalid-token", title: "Invalid token", detail: "the access token is invalid or expired; log in again")
        }
    }

    func ticket(id: UUID, voter: UserID, pair: (SetID, SetID)) async throws -> (token: String, expires: Date) {
        let expires = Date().addingTimeInterval(ticketLifetime / .seconds(1))
        let claims = TicketClaims(
            jti: .init(value: id.uuidString), sub: .init(value: voter.uuidString), a: pair.0.description, b: pair.1.description,
            typ: "ticket", exp: .init(value: expires))
        return (try await tickets.sign(claims, kid: JWKIdentifier(string: signingKey)), expires)
    }

    /// A ticket's id and pair if it is genuine, unexpired and this voter's.
    func redeem(_ token: String, by voter: UserID) async throws(Problem) -> (id: UUID, a: SetID, b: SetID) {
        let claims: TicketClaims
        do { claims = try await tickets.verify(token, as: TicketClaims.self) } catch {
            throw Problem(.badRequest, type: "invalid-ticket", title: "Invalid ticket",
                          detail: "the ticket is forged, damaged or expired; fetch a new pair from GET /api/comparisons/next")
        }
        guard claims.sub.value == voter.uuidString else {
            throw Problem(.forbidden, type: "foreign-ticket", title: "Not your ticket", detail: "this ticket was issued to another voter")
        }
        guard let id = UUID(uuidString: claims.jti.value), let a = try? SetID(hex: claims.a), let b = try? SetID(hex: claims.b) else {
            throw Problem(.badRequest, type: "invalid-ticket", title: "Invalid ticket", detail: "the ticket's contents are malformed")
        }
        return (id, a, b)
    }
}
