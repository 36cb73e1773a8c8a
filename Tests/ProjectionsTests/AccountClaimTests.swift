import Foundation
import MovieMashCore
import Synchronization
import Testing

@testable import Projections

/// A vault whose "seal" is the plaintext behind a marker, opened only while the user's key exists: enough to
/// test what the accounts projection does with claims (the real cipher is `KeyStoreTests`'s).
private final class TransparentVault: PersonalDataVault {
    private let keys = Mutex<Set<UserID>>([])
    private static let marker = [UInt8](repeating: 7, count: SealedPersonalData.overhead)

    func seal(bytes plaintext: [UInt8], for user: UserID) throws -> SealedPersonalData {
        keys.withLock { _ = $0.insert(user) }
        return try SealedPersonalData(Self.marker + withUnsafeBytes(of: user.uuid) { Array($0) } + plaintext)
    }

    func openBytes(_ sealed: SealedPersonalData, for user: UserID) -> [UInt8]? {
        let owner = withUnsafeBytes(of: user.uuid) { Array($0) }
        guard keys.withLock({ $0.contains(user) }), Array(sealed.bytes.dropFirst(Self.marker.count).prefix(16)) == owner else { return nil }
        return Array(sealed.bytes.dropFirst(Self.marker.count + 16))
    }

    func destroyKey(of user: UserID) throws { keys.withLock { _ = $0.remove(user) } }
    var keyHolders: [UserID] { keys.withLock { Array($0) } }
}

@Suite struct AccountClaimTests {
    @Test func theEarlierClaimHoldsANameAndErasureForgetsItEvenFromASnapshot() throws {
        let vault = TransparentVault()
        let (alice, bob) = (UUID(), UUID())
        var events: [EventEnvelope] = []
        func add(_ event: Event) { events.append(EventEnvelope(position: UInt64(events.count), occurredAt: .now, event: event)) }
        for (user, name) in [(alice, "alice"), (bob, "bob")] {
            add(.userRegistered(UserRegistered(
                userID: user, personal: .sealed(try vault.seal(try PersonalData(username: name, passwordHash: "$2b$04$" + String(repeating: "a", count: 53)), for: user)))))
        }
        add(.letterboxdClaimed(LetterboxdClaimed(userID: alice, sealed: try vault.seal(try ClaimedProfile(letterboxdUser: "cinephile"), for: alice))))
        add(.letterboxdClaimed(LetterboxdClaimed(userID: bob, sealed: try vault.seal(try ClaimedProfile(letterboxdUser: "Cinephile"), for: bob))))
        // A seal of the name and hash is not a claim, and alice's claim copied into bob's event does not open.
        add(.letterboxdClaimed(LetterboxdClaimed(userID: bob, sealed: try vault.seal(try PersonalData(username: "bob", passwordHash: "$2b$04$" + String(repeating: "b", count: 53)), for: bob))))

        var accounts = Accounts(vault: vault)
        for event in events { accounts.apply(event) }
        #expect(accounts.claimedProfile(of: alice) == "cinephile")
        #expect(accounts.claimant(of: "CINEPHILE") == alice)
        #expect(accounts.claimedProfile(of: bob) == nil, "bob's later claims neither take alice's name nor read as a name")

        var writer = SnapshotWriter()
        accounts.encodeState(into: &writer)
        var restored = Accounts(vault: vault)
        var reader = SnapshotReader(writer.bytes)
        try restored.decodeState(from: &reader)
        #expect(restored.claimant(of: "cinephile") == alice && restored.claimedNames == ["cinephile"])

        let erasure = EventEnvelope(position: UInt64(events.count), occurredAt: .now, event: .userErased(UserErased(userID: alice)))
        accounts.apply(erasure)
        try vault.destroyKey(of: alice)
        #expect(accounts.claimant(of: "cinephile") == nil && accounts.claimedNames.isEmpty)
        // Without the key, a snapshot taken before the erasure opens no claim either.
        var afterKeyLoss = Accounts(vault: vault)
        var again = SnapshotReader(writer.bytes)
        try afterKeyLoss.decodeState(from: &again)
        #expect(afterKeyLoss.claimedProfile(of: alice) == nil && afterKeyLoss.claimant(of: "cinephile") == nil)
    }
}
