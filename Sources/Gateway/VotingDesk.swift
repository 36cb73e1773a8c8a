import DequeModule
import Foundation
import MovieMashCore
import Projections
import Synchronization

/// The gateway's short-lived memory: accounts registered since the projections last caught up, answers by
/// `Idempotency-Key`, and pairs recently shown to each voter. A lock rather than
/// an actor: every operation is a few dictionary steps, cheaper than a hop to another executor.
final class VotingDesk: Sendable {
    private struct State {
        var registrations: [String: Registration] = [:]
        var reserved = Set<String>()
        var answers: [String: VoteBody] = [:]
        var answerOrder = Deque<String>()
        var shown: [UserID: [PairKey]] = [:]
    }

    /// An account just registered: its id and fields, and the position just past its event.
    struct Registration: Sendable {
        var userID: UserID
        var data: PersonalData
        var end: UInt64
    }

    private let state = Mutex(State())
    private let rememberedAnswers: Int

    init(rememberedAnswers: Int = 100_000) {
        self.rememberedAnswers = rememberedAnswers
    }

    /// Reserves a username not yet taken (per `accounts` and recent registrations).
    func reserve(_ username: String, accounts: Accounts) -> Bool {
        let key = username.lowercased()
        return state.withLock { state in
            guard accounts.account(named: key) == nil, state.registrations[key] == nil, !state.reserved.contains(key) else { return false }
            state.reserved.insert(key)
            return true
        }
    }

    func finishRegistration(_ username: String, account: Registration?) {
        let key = username.lowercased()
        state.withLock { state in
            state.reserved.remove(key)
            if let account { state.registrations[key] = account }
        }
    }

    func recentlyRegistered(_ username: String) -> Registration? { state.withLock { $0.registrations[username.lowercased()] } }

    /// Drops what registration remembered of `username` (its password changed, or it was erased).
    func forgetRegistration(_ username: String) {
        _ = state.withLock { $0.registrations.removeValue(forKey: username.lowercased()) }
    }

    /// The first answer to a vote sent with this `Idempotency-Key`.
    func answer(for key: String) -> VoteBody? { state.withLock { $0.answers[key] } }

    func remember(_ answer: VoteBody, for key: String) {
        state.withLock { state in
            if state.answers.updateValue(answer, forKey: key) == nil { state.answerOrder.append(key) }
            while state.answerOrder.count > rememberedAnswers { state.answers[state.answerOrder.removeFirst()] = nil }
        }
    }

    func shownPairs(to voter: UserID) -> [PairKey] { state.withLock { $0.shown[voter] ?? [] } }

    func noteShown(_ pair: PairKey, to voter: UserID) {
        state.withLock { state in
            var pairs = state.shown[voter] ?? []
            pairs.append(pair)
            if pairs.count > 32 { pairs.removeFirst(pairs.count - 32) }
            state.shown[voter] = pairs
        }
    }
}
