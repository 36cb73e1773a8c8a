import Foundation
import MovieMashCore
import Synchronization
import Testing
import TestSupport

/// Keys only: who holds one.
private final class KeyRing: PersonalDataVault {
    let keys: Mutex<Set<UserID>>

    init(_ holders: Set<UserID>) { keys = Mutex(holders) }

    func seal(bytes plaintext: [UInt8], for user: UserID) throws -> SealedPersonalData { fatalError("not sealed in these tests") }
    func openBytes(_ sealed: SealedPersonalData, for user: UserID) -> [UInt8]? { nil }
    func destroyKey(of user: UserID) throws { keys.withLock { _ = $0.remove(user) } }
    var keyHolders: [UserID] { keys.withLock { Array($0) } }
}

@Suite struct ErasureTests {
    /// The event first, then the key: an append that fails leaves the key (the person is not erased, and
    /// says so), one that succeeds is followed by the key's destruction.
    @Test func theEventComesBeforeTheKeyGoes() async throws {
        let person = UUID()
        let vault = KeyRing([person])
        let log = MemoryAppender()
        log.unavailable.store(true, ordering: .relaxed)
        await #expect(throws: StorageUnavailable.self) { try await Erasure.erase(person, appender: log, vault: vault) }
        #expect(vault.keyHolders == [person] && log.all.isEmpty, "no event, so the key stays")
        log.unavailable.store(false, ordering: .relaxed)
        let position = try await Erasure.erase(person, appender: log, vault: vault)
        #expect(position == 0 && vault.keyHolders.isEmpty)
        guard case .userErased(let erased) = log.all.first?.event else { Issue.record("no UserErased"); return }
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
