import Foundation

/// What an account holds about its person: the name they chose and their password's bcrypt hash.
public struct PersonalData: Hashable, Sendable {
    public var username: String
    public var passwordHash: String

    public init(username: String, passwordHash: String) throws(EventValidationError) {
        try Validate.username(username, field: "username", lengths: 3...32, extra: "_.-")
        guard Validate.isBcrypt(passwordHash) else {
            throw EventValidationError(field: "passwordHash", reason: "is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)")
        }
        self.username = username
        self.passwordHash = passwordHash
    }

    /// The plaintext a vault seals: a format byte, then the name and the hash as strings.
    public var bytes: [UInt8] {
        var w = FieldWriter()
        w.byte(1)
        w.string(username)
        w.string(passwordHash)
        return w.bytes
    }

    /// Reads what `bytes` wrote.
    public init(bytes: [UInt8]) throws(EventCodingError) {
        let (username, passwordHash) = try bytes.withUnsafeBytes(typed: { raw throws(EventCodingError) in
            var r = FieldReader(bytes: raw, index: 0, type: nil)
            guard try r.byte() == 1 else { throw r.failure("unknown personal data format") }
            let fields = (try r.string(), try r.string())
            guard r.index == raw.count else { throw r.failure("trailing bytes") }
            return fields
        })
        do { try self.init(username: username, passwordHash: passwordHash) } catch { throw .malformed(type: nil, reason: "\(error)") }
    }
}

/// Personal data sealed under its user's key: what the log, the mirror and every backup hold. AES-256-GCM's
/// combined form (12-byte nonce, ciphertext, 16-byte tag) with the user's id as associated data, so a seal
/// never opens as another user's; unreadable forever once the key store has destroyed that key.
public struct SealedPersonalData: Hashable, Sendable {
    /// Nonce and tag: the least a seal of anything holds.
    public static let overhead = 28

    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(EventValidationError) {
        guard bytes.count > Self.overhead, bytes.count <= 4096 else {
            throw EventValidationError(field: "sealed", reason: "a seal is \(Self.overhead + 1)…4096 bytes (nonce, ciphertext, tag), not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Base64 (RFC 4648, padded): the JSON form.
    public var base64: String { Data(bytes).base64EncodedString() }

    public init(base64 text: String) throws(EventValidationError) {
        guard let data = Data(base64Encoded: text) else {
            throw EventValidationError(field: "sealed", reason: "is not base64")
        }
        try self.init([UInt8](data))
    }
}

/// An account's personal fields as an event carries them: readable (schema version 1 of `UserRegistered`,
/// written before personal data was sealed, and by generators of synthetic accounts that are no one), or
/// sealed (what the gateway writes for every person).
public enum PersonalFields: Hashable, Sendable {
    case plain(PersonalData)
    case sealed(SealedPersonalData)
}

/// A Letterboxd name a voter claimed as theirs, as a vault seals it: a format byte (2, so it never opens
/// as `PersonalData`, whose format byte is 1), then the name.
public struct ClaimedProfile: Hashable, Sendable {
    public var letterboxdUser: String

    public init(letterboxdUser: String) throws(EventValidationError) {
        try Validate.username(letterboxdUser, field: "letterboxdUser", lengths: 1...40, extra: "_")
        self.letterboxdUser = letterboxdUser
    }

    public var bytes: [UInt8] {
        var w = FieldWriter()
        w.byte(2)
        w.string(letterboxdUser)
        return w.bytes
    }

    /// Reads what `bytes` wrote.
    public init(bytes: [UInt8]) throws(EventCodingError) {
        let name = try bytes.withUnsafeBytes(typed: { raw throws(EventCodingError) in
            var r = FieldReader(bytes: raw, index: 0, type: nil)
            guard try r.byte() == 2 else { throw r.failure("not a claimed profile") }
            let name = try r.string()
            guard r.index == raw.count else { throw r.failure("trailing bytes") }
            return name
        })
        do { try self.init(letterboxdUser: name) } catch { throw .malformed(type: nil, reason: "\(error)") }
    }
}

/// Where the per-user keys of personal data live, outside the log: it seals a user's data (making their
/// key, durably, first), opens it while the key exists, and destroys the key on erasure. Everything that
/// reads personal fields goes through one, so an erased user's fields read as gone everywhere at once.
public protocol PersonalDataVault: AnyObject, Sendable {
    /// `plaintext` sealed under `user`'s key; a user without a key gets one, durable before this returns.
    func seal(bytes plaintext: [UInt8], for user: UserID) throws -> SealedPersonalData
    /// The plaintext, or nil once the key is destroyed (or the seal is not this user's).
    func openBytes(_ sealed: SealedPersonalData, for user: UserID) -> [UInt8]?
    /// Destroys `user`'s key durably; nothing sealed under it opens again. Destroying a missing key is no error.
    func destroyKey(of user: UserID) throws
    /// The users whose keys the store holds.
    var keyHolders: [UserID] { get }
}

extension PersonalDataVault {
    /// `data` sealed under `user`'s key.
    public func seal(_ data: PersonalData, for user: UserID) throws -> SealedPersonalData {
        try seal(bytes: data.bytes, for: user)
    }

    /// The personal fields, or nil once the key is destroyed (or the seal holds something else).
    public func open(_ sealed: SealedPersonalData, for user: UserID) -> PersonalData? {
        openBytes(sealed, for: user).flatMap { try? PersonalData(bytes: $0) }
    }

    /// `profile` sealed under `user`'s key.
    public func seal(_ profile: ClaimedProfile, for user: UserID) throws -> SealedPersonalData {
        try seal(bytes: profile.bytes, for: user)
    }

    /// The claimed profile, or nil once the key is destroyed (or the seal holds something else).
    public func openClaim(_ sealed: SealedPersonalData, for user: UserID) -> ClaimedProfile? {
        openBytes(sealed, for: user).flatMap { try? ClaimedProfile(bytes: $0) }
    }
}

extension PersonalFields {
    /// The readable fields: plain ones as they are, sealed ones through `vault` while their key exists.
    public func open(for user: UserID, with vault: (any PersonalDataVault)?) -> PersonalData? {
        switch self {
        case .plain(let data): data
        case .sealed(let sealed): vault?.open(sealed, for: user)
        }
    }
}

/// Erasing a person, in the one order that cannot lose track of it: the `UserErased` event first, then
/// their key. A crash between the two leaves a key the log says is gone, which `completeInterrupted`
/// destroys at the next start; the other order could destroy a key while the log never says so.
public enum Erasure {
    /// Appends `user`'s erasure, then destroys their key; the event's position (not yet confirmed).
    public static func erase(_ user: UserID, appender: any EventAppender, vault: any PersonalDataVault) async throws -> UInt64 {
        let position = try await appender.append(EventEnvelope(occurredAt: .now, event: .userErased(UserErased(userID: user))))
        try vault.destroyKey(of: user)
        return position
    }

    /// The keys an interrupted erasure left: those of users the log says are erased. (A key with no
    /// account is left alone: it may belong to a registration whose event is being appended.)
    public static func keysLeft(holders: [UserID], erased: Set<UserID>) -> [UserID] {
        holders.filter(erased.contains).sorted { $0.uuidString < $1.uuidString }
    }

    /// Destroys every key an interrupted erasure left in `vault`, given who the log says is erased; the
    /// users whose keys went.
    public static func completeInterrupted(vault: any PersonalDataVault, erased: Set<UserID>) throws -> [UserID] {
        let left = keysLeft(holders: vault.keyHolders, erased: erased)
        for user in left { try vault.destroyKey(of: user) }
        return left
    }
}
