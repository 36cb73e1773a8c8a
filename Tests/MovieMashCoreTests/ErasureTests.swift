import Foundation
import MovieMashCore
import Synchronization
import Testing

/// Keys only: who holds one.
private final class KeyRing: PersonalDataVault {
    let keys: Mutex<Set<UserID>>

    init(_ holders: Set<UserID>) { keys = Mutex(holders) }

    func seal(bytes plaintext: [UInt8], for user: UserID) throws -> SealedPersonalData { fatalError("not sealed in these tests") }
    func openBytes(_ sealed: SealedPersonalData, for user: UserID) -> [UInt8]? { nil }
    func destroyKey(of user: UserID) throws { keys.withLock { _ = $0.remove(user) } }
    var keyHolders: [UserID] { keys.withLock { Array($0) } }
}

/// An appender that stores erasures in memory, or refuses every append.
private final class Appended: EventAppender {
    let events = Mutex<[EventEnvelope]>([])
    let refusing: Bool

    init(refusing: Bool = false) { self.refusing = refusing }

    func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        if refusing { throw StorageUnavailable(reason: "the disk is full") }
        return events.withLock { $0.append(envelope); return UInt64($0.count - 1) }
    }
    func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? { try await append(envelope) }
    func append(contentsOf envelopes: [EventEnvelope]) async throws -> [UInt64] {
        var positions: [UInt64] = []
        for envelope in envelopes { positions.append(try await append(envelope)) }
        return positions
    }
    func confirm(_ position: UInt64) async throws {}
}

@Suite struct ErasureTests {
    /// The event first, then the key: an append that fails leaves the key (the person is not erased, and
    /// says so), one that succeeds is followed by the key's destruction.
    @Test func theEventComesBeforeTheKeyGoes() async throws {
        let person = UUID()
        let vault = KeyRing([person])
        await #expect(throws: StorageUnavailable.self) { try await Erasure.erase(person, appender: Appended(refusing: true), vault: vault) }
        #expect(vault.keyHolders == [person], "no event, so the key stays")
        let log = Appended()
        let position = try await Erasure.erase(person, appender: log, vault: vault)
        #expect(position == 0 && vault.keyHolders.isEmpty)
        guard case .userErased(let erased) = log.events.withLock({ $0.first?.event }) else { Issue.record("no UserErased"); return }
        #expect(erased.userID == person)
    }

    /// After a crash between the two steps, the next start destroys exactly the keys of people the log says
    /// are erased, and leaves a key without an account (a registration on its way).
    @Test func anInterruptedErasureIsCompletedAndNothingElseIsTouched() throws {
        let (erased, registered, arriving) = (UUID(), UUID(), UUID())
        let vault = KeyRing([erased, registered, arriving])
        #expect(try Erasure.completeInterrupted(vault: vault, erased: [erased]) == [erased])
        #expect(Set(vault.keyHolders) == [registered, arriving])
        #expect(try Erasure.completeInterrupted(vault: vault, erased: [erased]).isEmpty, "done once")
    }
}
