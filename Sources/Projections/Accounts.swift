import Foundation
import MovieMashCore

/// Registered voters: each account's personal fields as the log holds them (sealed, or readable from
/// before sealing), what ends their tokens (password changes, sign-outs), and who erased their account.
///
/// With a vault (the writer's key store) it also opens the fields it can, for login and the `/api/me`
/// routes: names are indexed case-insensitively, the first registration of a name holding it. What it
/// opened is never part of its state or snapshots (they carry the fields as sealed as the log does), so a
/// snapshot or backup of it reads as little as the log once a key is destroyed, and the state is the same
/// with or without a vault.
public struct Accounts: Projector {
    public struct Account: Sendable, Equatable {
        public var userID: UserID
        public var personal: PersonalFields
        public var registeredAt: Timestamp
        /// Access tokens carrying a position below this were signed before the last password change.
        public var tokensFrom: UInt64

        public init(userID: UserID, personal: PersonalFields, registeredAt: Timestamp, tokensFrom: UInt64 = 0) {
            self.userID = userID
            self.personal = personal
            self.registeredAt = registeredAt
            self.tokensFrom = tokensFrom
        }
    }

    public static let name = "accounts"
    public static let version: UInt32 = 3

    public private(set) var byID: [UserID: Account] = [:]
    /// Users who erased their account.
    public private(set) var erased: Set<UserID> = []
    /// Signed-out token ids with when they would have expired (milliseconds); dropped once past it.
    public private(set) var signedOut: [UUID: Int64] = [:]
    /// Each voter's latest Letterboxd claim, sealed, with the log position of its event (the earlier claim
    /// of a name holds it).
    public private(set) var claims: [UserID: (sealed: SealedPersonalData, position: UInt64)] = [:]
    /// Derived (never encoded): the readable fields, names to ids, and readable claims both ways.
    private var readable: [UserID: PersonalData] = [:]
    private var byUsername: [String: UserID] = [:]
    private var claimed: [UserID: String] = [:]
    private var claimants: [String: UserID] = [:]
    private let vault: (any PersonalDataVault)?

    public init(vault: (any PersonalDataVault)? = nil) {
        self.vault = vault
    }

    public var configurationBytes: [UInt8] { [] }

    /// The account that holds `username` (case-insensitively), with its readable fields.
    public func account(named username: String) -> (account: Account, data: PersonalData)? {
        guard let id = byUsername[username.lowercased()], let account = byID[id], let data = readable[id] else { return nil }
        return (account, data)
    }

    /// The readable personal fields of `user` (nil when erased, unknown, or sealed without the key here).
    public func personalData(of user: UserID) -> PersonalData? { readable[user] }

    /// The Letterboxd name `user` claims, when readable here and not held by an earlier claim of another voter.
    public func claimedProfile(of user: UserID) -> String? {
        guard let name = claimed[user], claimants[name.lowercased()] == user else { return nil }
        return name
    }

    /// Every Letterboxd name a readable claim holds.
    public var claimedNames: [String] { claimants.keys.sorted() }

    /// The voter whose claim holds the Letterboxd name `name` (case-insensitively), when readable here.
    public func claimant(of name: String) -> UserID? { claimants[name.lowercased()] }

    /// Whether an access token of `user` with id `tokenID`, signed at log position `position`, still
    /// works: the account is not erased, no password change came after the token, and the token was not
    /// signed out. (A node checks this once it reflects `position`, where the account exists.)
    public func accepts(_ user: UserID, tokenID: UUID?, position: UInt64) -> Bool {
        guard !erased.contains(user) else { return false }
        if let account = byID[user], position < account.tokensFrom { return false }
        guard let tokenID else { return true }
        return signedOut[tokenID] == nil
    }

    public mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .userRegistered(let user):
            guard byID[user.userID] == nil, !erased.contains(user.userID) else { return }
            byID[user.userID] = Account(userID: user.userID, personal: user.personal, registeredAt: event.occurredAt)
            open(user.userID)
        case .passwordChanged(let change):
            guard var account = byID[change.userID] else { return }
            account.personal = .sealed(change.sealed)
            account.tokensFrom = (event.position ?? 0) + 1
            byID[change.userID] = account
            open(change.userID)
        case .signedOut(let signOut):
            let now = event.occurredAt.milliseconds
            signedOut = signedOut.filter { $0.value > now }
            if signOut.expiresAt.milliseconds > now { signedOut[signOut.tokenID] = signOut.expiresAt.milliseconds }
        case .userErased(let erasure):
            byID[erasure.userID] = nil
            erased.insert(erasure.userID)
            if let data = readable.removeValue(forKey: erasure.userID), byUsername[data.username.lowercased()] == erasure.userID {
                byUsername[data.username.lowercased()] = nil
            }
            claims[erasure.userID] = nil
            releaseClaim(of: erasure.userID)
        case .letterboxdClaimed(let claim):
            guard byID[claim.userID] != nil else { return }
            claims[claim.userID] = (claim.sealed, event.position ?? 0)
            openClaim(of: claim.userID)
        case .movieCatalogued, .top4SetScraped, .voteCast:
            break
        }
    }

    /// Opens `user`'s claim where it can; a name another voter's claim holds stays theirs.
    private mutating func openClaim(of user: UserID) {
        releaseClaim(of: user)
        guard let claim = claims[user], let profile = vault?.openClaim(claim.sealed, for: user) else { return }
        claimed[user] = profile.letterboxdUser
        let key = profile.letterboxdUser.lowercased()
        if claimants[key] == nil { claimants[key] = user }
    }

    private mutating func releaseClaim(of user: UserID) {
        if let earlier = claimed.removeValue(forKey: user), claimants[earlier.lowercased()] == user {
            claimants[earlier.lowercased()] = nil
        }
    }

    /// Opens `user`'s fields where it can; the first account to hold a name keeps it.
    private mutating func open(_ user: UserID) {
        guard let account = byID[user], let data = account.personal.open(for: user, with: vault) else { return }
        if let earlier = readable[user], earlier.username.lowercased() != data.username.lowercased() {
            byUsername[earlier.username.lowercased()] = nil
        }
        readable[user] = data
        let key = data.username.lowercased()
        if byUsername[key] == nil { byUsername[key] = user }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: byID.count)
        for id in byID.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            let account = byID[id]!
            writer.write(id)
            writer.write(UInt64(bitPattern: account.registeredAt.milliseconds))
            writer.write(account.tokensFrom)
            switch account.personal {
            case .plain(let data):
                writer.write(UInt32(0))
                writer.write(data.username)
                writer.write(data.passwordHash)
            case .sealed(let sealed):
                writer.write(UInt32(1))
                writer.write(bytes: sealed.bytes)
            }
        }
        writer.write(count: erased.count)
        for id in erased.sorted(by: { $0.uuidString < $1.uuidString }) { writer.write(id) }
        writer.write(count: signedOut.count)
        for (token, expiry) in signedOut.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            writer.write(token)
            writer.write(UInt64(bitPattern: expiry))
        }
        writer.write(count: claims.count)
        for (user, claim) in claims.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            writer.write(user)
            writer.write(claim.position)
            writer.write(bytes: claim.sealed.bytes)
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        byID = [:]
        readable = [:]
        byUsername = [:]
        // Registration order decides who holds a name; a snapshot keeps no order, so the earliest
        // registration time does (ties by id), as replaying the log would.
        var loaded: [Account] = []
        for _ in 0..<(try reader.count(minimumBytes: 36)) {
            let id = try reader.uuid()
            let registeredAt = Timestamp(milliseconds: Int64(bitPattern: try reader.uint64()))
            let tokensFrom = try reader.uint64()
            let personal: PersonalFields
            switch try reader.uint32() {
            case 0:
                guard let data = try? PersonalData(username: try reader.string(), passwordHash: try reader.string()) else {
                    throw SnapshotError("an account's fields are not a valid name and hash")
                }
                personal = .plain(data)
            case 1:
                let bytes = try reader.bytes(count: try reader.count())
                guard let sealed = try? SealedPersonalData(bytes) else { throw SnapshotError("a seal of \(bytes.count) bytes") }
                personal = .sealed(sealed)
            case let tag:
                throw SnapshotError("unknown personal fields tag \(tag)")
            }
            loaded.append(Account(userID: id, personal: personal, registeredAt: registeredAt, tokensFrom: tokensFrom))
        }
        for account in loaded.sorted(by: { ($0.registeredAt, $0.userID.uuidString) < ($1.registeredAt, $1.userID.uuidString) }) {
            byID[account.userID] = account
            open(account.userID)
        }
        erased = []
        for _ in 0..<(try reader.count(minimumBytes: 16)) { erased.insert(try reader.uuid()) }
        signedOut = [:]
        for _ in 0..<(try reader.count(minimumBytes: 24)) {
            let token = try reader.uuid()
            signedOut[token] = Int64(bitPattern: try reader.uint64())
        }
        claims = [:]
        claimed = [:]
        claimants = [:]
        for _ in 0..<(try reader.count(minimumBytes: 32)) {
            let user = try reader.uuid(), position = try reader.uint64()
            let bytes = try reader.bytes(count: try reader.count())
            guard let sealed = try? SealedPersonalData(bytes) else { throw SnapshotError("a claim's seal of \(bytes.count) bytes") }
            claims[user] = (sealed, position)
        }
        // The earlier claim of a name holds it, as replaying the log would decide.
        for user in claims.keys.sorted(by: { claims[$0]!.position < claims[$1]!.position }) { openClaim(of: user) }
    }
}
