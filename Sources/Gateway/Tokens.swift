import Crypto
import ExtrasBase64
import Foundation
import JWTKit
import MovieMashCore
import Synchronization

/// Signing keys from configuration: `KID:SECRET` pairs, the first signing, all verifying (rotation: add
/// the new key first, keep the old until its tokens have expired). Secrets need 32 bytes or more.
public struct SigningKeys: Sendable {
    public var keys: [(id: String, secret: String)]

    /// Parses `kid1:secret1,kid2:secret2`.
    public init(parsing text: String) throws(ConfigurationError) {
        var keys: [(id: String, secret: String)] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.count >= 32 else {
                throw ConfigurationError("signing keys are KID:SECRET pairs separated by commas, each secret at least 32 bytes", setting: "jwtKeys")
            }
            keys.append((parts[0], parts[1]))
        }
        guard !keys.isEmpty else {
            throw ConfigurationError("no signing key given", setting: "jwtKeys")
        }
        self.keys = keys
    }

    /// Each key for one purpose, derived from its configured secret with HKDF-SHA256 (RFC 5869, the
    /// purpose as its info): one configured secret, and tokens and tickets never verify as each other.
    func keys(for purpose: String) -> [(id: String, key: SymmetricKey)] {
        keys.map { key in
            let derived = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Array(key.secret.utf8)), salt: Array("moviemash".utf8),
                info: Array(purpose.utf8), outputByteCount: 32)
            return (key.id, derived)
        }
    }

    func collection(purpose: String) async -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        for key in keys(for: purpose) {
            await collection.add(hmac: HMACKey(key: key.key), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
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
    /// The log position the signing-in node reflected (it held the account): any node serving the token
    /// waits to reflect it too. Absent in tokens signed before positions were carried.
    var pos: UInt64?
    /// The token's id, which signing out ends. Absent in tokens signed before sign-out existed.
    var jti: IDClaim?

    /// The signature and the type; expiry is `TokenAuthority`'s check, against its clock.
    func verify(using algorithm: some JWTAlgorithm) throws {
        guard typ == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
    }
}

/// Tickets as compact HMAC-SHA256 tokens rather than JWTs: only this service ever reads a ticket, so it
/// needs no header and no JSON, whose parsing was a fifth of the CPU a vote took. A ticket is
/// `t1.KID.PAYLOAD.MAC` (base64url): the payload's 72 bytes are the ticket id, the voter, the two sets and
/// the expiry (milliseconds, big-endian); the MAC covers everything before it, under the key `KID` names
/// (derived per purpose from the configured secret, so an access token never verifies as a ticket).
struct TicketSigner: Sendable {
    struct Ticket: Sendable, Equatable {
        var id: UUID
        var voter: UserID
        var a: SetID
        var b: SetID
        var expires: Int64
    }

    /// An HMAC keyed by each key id, ready to copy: keying one (padding the key, hashing its first block)
    /// costs as much as the rest of a ticket's MAC, so it is done once.
    private let keys: [String: HMAC<SHA256>]
    /// The first key's MAC state, kept apart so signing needs no lookup by key id.
    private let signingMAC: HMAC<SHA256>
    /// `t1.KID.` of the signing key: what every ticket starts with.
    private let signingPrefix: [UInt8]

    init(keys: SigningKeys) {
        var derived: [String: HMAC<SHA256>] = [:]
        for key in keys.keys(for: "tickets") { derived[key.id] = HMAC(key: key.key) }
        self.keys = derived
        signingMAC = derived[keys.keys[0].id]!
        signingPrefix = Array("t1.\(keys.keys[0].id).".utf8)
    }

    func sign(_ ticket: Ticket) -> String {
        var payload = [UInt8](repeating: 0, count: 72)
        payload.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: ticket.id.uuid, toByteOffset: 0, as: uuid_t.self)
            bytes.storeBytes(of: ticket.voter.uuid, toByteOffset: 16, as: uuid_t.self)
            bytes.storeBytes(of: ticket.a.value.bigEndian, toByteOffset: 32, as: UInt128.self)
            bytes.storeBytes(of: ticket.b.value.bigEndian, toByteOffset: 48, as: UInt128.self)
            bytes.storeBytes(of: ticket.expires.bigEndian, toByteOffset: 64, as: Int64.self)
        }
        var token = signingPrefix
        token.reserveCapacity(signingPrefix.count + 96 + 1 + 43)
        token.append(contentsOf: Base64.encodeToBytes(bytes: payload, options: Self.encoding))
        let mac = Self.mac(token, keyed: signingMAC)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64.encodeToBytes(bytes: Array(mac), options: Self.encoding))
        return String(decoding: token, as: UTF8.self)
    }

    /// The ticket if `token` is one this service signed (with any configured key) and it has not expired.
    func verify(_ token: String, nowMilliseconds: Int64) -> Ticket? {
        let bytes = Array(token.utf8), dot = UInt8(ascii: ".")
        guard bytes.starts(with: "t1.".utf8), let kidEnd = bytes[3...].firstIndex(of: dot),
              let payloadEnd = bytes[(kidEnd + 1)...].firstIndex(of: dot), !bytes[(payloadEnd + 1)...].contains(dot),
              let key = keys[String(decoding: bytes[3..<kidEnd], as: UTF8.self)],
              let payload = try? Base64.decode(bytes: bytes[(kidEnd + 1)..<payloadEnd], options: Self.decoding), payload.count == 72,
              let mac = try? Base64.decode(bytes: bytes[(payloadEnd + 1)...], options: Self.decoding),
              Self.mac(bytes[..<payloadEnd], keyed: key) == mac
        else { return nil }
        func uuid(_ offset: Int) -> UUID {
            UUID(uuid: payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: uuid_t.self) })
        }
        func set(_ offset: Int) -> SetID {
            SetID(value: UInt128(bigEndian: payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt128.self) }))
        }
        let expires = Int64(bigEndian: payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 64, as: Int64.self) })
        guard expires > nowMilliseconds else { return nil }
        return Ticket(id: uuid(0), voter: uuid(16), a: set(32), b: set(48), expires: expires)
    }

    /// The MAC of `data`; comparing it with `==` takes the same time wherever the bytes differ.
    private static func mac(_ data: some DataProtocol, keyed key: HMAC<SHA256>) -> HashedAuthenticationCode<SHA256> {
        var hmac = key
        hmac.update(data: data)
        return hmac.finalize()
    }

    private static let encoding: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    private static let decoding: Base64.DecodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
}

/// Who an access token names, the log position it carries, its id and when it expires.
struct SignedInUser: Sendable {
    var id: UserID
    var name: String
    var position: UInt64
    var tokenID: UUID?
    var expires: Date
}

/// Issues and checks access tokens and tickets.
public final class TokenAuthority: Sendable {
    private let access: JWTKeyCollection
    private let tickets: TicketSigner
    private let signingKey: String
    public let accessLifetime: Duration
    public let ticketLifetime: Duration
    /// Access tokens already verified, with what they say: a client sends the same token with every
    /// request, and checking it once is enough until it expires.
    private let verified = Mutex<[String: (user: SignedInUser, expires: Date)]>([:])
    /// The gateway's wall clock: tokens and tickets expire by it and the events of requests are stamped
    /// by it (tests move their own).
    let now: @Sendable () -> Date

    public init(
        keys: SigningKeys, accessLifetime: Duration = .seconds(3600), ticketLifetime: Duration = .seconds(600),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async {
        access = await keys.collection(purpose: "access")
        tickets = TicketSigner(keys: keys)
        signingKey = keys.keys[0].id
        self.accessLifetime = accessLifetime
        self.ticketLifetime = ticketLifetime
        self.now = now
    }

    /// Now on the gateway's clock, as events record it.
    var timestamp: Timestamp { Timestamp(now()) }

    func accessToken(for user: UserID, name: String, position: UInt64 = 0) async throws -> (token: String, expires: Date) {
        let issued = now()
        let expires = issued.addingTimeInterval(accessLifetime / .seconds(1))
        let claims = AccessClaims(
            sub: .init(value: user.uuidString), name: name, typ: "access", exp: .init(value: expires), iat: .init(value: issued), pos: position,
            jti: .init(value: UUID.random().uuidString))
        return (try await access.sign(claims, kid: JWKIdentifier(string: signingKey)), expires)
    }

    /// The user an `Authorization: Bearer` token names, or a 401 problem.
    func user(fromBearer header: String?) async throws(Problem) -> SignedInUser {
        guard let header, header.utf8.count > 7, header.utf8.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else {
            throw Problem(.unauthorized, type: "unauthenticated", title: "Not logged in", detail: "send Authorization: Bearer <token> from POST /api/auth/login")
        }
        let token = String(Substring(header.utf8.dropFirst(7).drop { $0 == 0x20 || $0 == 0x09 }))
        let now = now()
        if let known = verified.withLock({ $0[token] }), known.expires > now { return known.user }
        do {
            let claims = try await access.verify(token, as: AccessClaims.self)
            try claims.exp.verifyNotExpired(currentDate: now)
            guard let id = UUID(uuidString: claims.sub.value) else { throw JWTError.malformedToken(reason: "subject") }
            let user = SignedInUser(
                id: id, name: claims.name, position: claims.pos ?? 0, tokenID: claims.jti.flatMap { UUID(uuidString: $0.value) },
                expires: claims.exp.value)
            verified.withLock { verified in
                if verified.count >= 50_000 { verified = verified.filter { $0.value.expires > now } }
                if verified.count < 50_000 { verified[token] = (user, claims.exp.value) }
            }
            return user
        } catch {
            throw Problem(.unauthorized, type: "invalid-token", title: "Invalid token", detail: "the access token is invalid or expired; log in again")
        }
    }

    /// Drops the verified tokens of `user` (erased): nothing of theirs stays in memory here.
    func forget(_ user: UserID) {
        verified.withLock { verified in verified = verified.filter { $0.value.user.id != user } }
    }

    func ticket(id: UUID, voter: UserID, pair: (SetID, SetID)) -> (token: String, expires: Date) {
        let expires = Timestamp(now()).milliseconds + Int64(ticketLifetime / .milliseconds(1))
        let token = tickets.sign(.init(id: id, voter: voter, a: pair.0, b: pair.1, expires: expires))
        return (token, Date(timeIntervalSince1970: Double(expires) / 1000))
    }

    /// A ticket's id and pair if it is genuine, unexpired and this voter's.
    func redeem(_ token: String, by voter: UserID) throws(Problem) -> (id: UUID, a: SetID, b: SetID) {
        guard let ticket = tickets.verify(token, nowMilliseconds: Timestamp(now()).milliseconds) else {
            throw Problem(.badRequest, type: "invalid-ticket", title: "Invalid ticket",
                          detail: "the ticket is forged, damaged or expired; fetch a new pair from GET /api/comparisons/next")
        }
        guard ticket.voter == voter else {
            throw Problem(.forbidden, type: "foreign-ticket", title: "Not your ticket", detail: "this ticket was issued to another voter")
        }
        return (ticket.id, ticket.a, ticket.b)
    }
}
