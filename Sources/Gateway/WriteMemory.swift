import DequeModule
import Foundation
import MovieMashCore
import Projections
import Synchronization

// The gateway's short-lived memory of what it just wrote and showed, one job per type. Locks rather than
// actors: every operation is a few dictionary steps, cheaper than a hop to another executor.

/// Accounts registered since the projections last caught up, and names being registered now: a name is
/// taken once, and a person can sign in before the accounts projection has their event.
final class RecentRegistrations: Sendable {
    /// An account just registered: its id and fields, and the position just past its event.
    struct Registration: Sendable {
        var userID: UserID
        var data: PersonalData
        var end: UInt64
    }

    private let state = Mutex<(registered: [String: Registration], reserved: Set<String>)>(([:], []))

    /// Reserves a username not yet taken (per `accounts` and recent registrations).
    func reserve(_ username: String, accounts: Accounts) -> Bool {
        let key = username.lowercased()
        return state.withLock { state in
            guard accounts.account(named: key) == nil, state.registered[key] == nil, !state.reserved.contains(key) else { return false }
            state.reserved.insert(key)
            return true
        }
    }

    /// Ends `username`'s reservation: registered as `account`, or given up (nil).
    func finish(_ username: String, account: Registration?) {
        let key = username.lowercased()
        state.withLock { state in
            state.reserved.remove(key)
            if let account { state.registered[key] = account }
        }
    }

    func recent(_ username: String) -> Registration? { state.withLock { $0.registered[username.lowercased()] } }

    /// Drops what registration remembered of `username` (its password changed, or it was erased).
    func forget(_ username: String) {
        _ = state.withLock { $0.registered.removeValue(forKey: username.lowercased()) }
    }
}

/// The first answer to each vote sent with an `Idempotency-Key`, the latest `limit` of them.
final class IdempotentAnswers: Sendable {
    private let state = Mutex<(answers: [String: VoteBody], order: Deque<String>)>(([:], []))
    private let limit: Int

    init(limit: Int = 100_000) {
        self.limit = limit
    }

    func answer(for key: String) -> VoteBody? { state.withLock { $0.answers[key] } }

    func remember(_ answer: VoteBody, for key: String) {
        state.withLock { state in
            if state.answers.updateValue(answer, forKey: key) == nil { state.order.append(key) }
            while state.order.count > limit { state.answers[state.order.removeFirst()] = nil }
        }
    }
}

/// The pairs each voter was shown lately (at most 32), which the next pair avoids.
final class ShownPairs: Sendable {
    private let shown = Mutex<[UserID: [PairKey]]>([:])

    func pairs(shownTo voter: UserID) -> [PairKey] { shown.withLock { $0[voter] ?? [] } }

    func note(_ pair: PairKey, shownTo voter: UserID) {
        shown.withLock { shown in
            var pairs = shown[voter] ?? []
            pairs.append(pair)
            if pairs.count > 32 { pairs.removeFirst(pairs.count - 32) }
            shown[voter] = pairs
        }
    }
}
