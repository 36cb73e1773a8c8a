import Foundation
import MovieMashCore
import Projections

/// The gateway's short-lived memory: accounts registered since the projections last caught up, tickets
/// being voted on, answers by `Idempotency-Key`, and pairs recently shown to each voter.
actor VotingDesk {
    struct Answer: Sendable {
        var status: Int
        var body: Data
    }

    private var registrations: [String: Accounts.Account] = [:]
    private var reserved = Set<String>()
    private var ticketsInFlight = Set<UUID>()
    private var answeredTickets: [UUID: Answer] = [:]
    private var answers: [String: Answer] = [:]
    private var answerOrder: [String] = []
    private var shown: [UserID: [PairKey]] = [:]
    private let rememberedAnswers: Int

    init(rememberedAnswers: Int = 100_000) {
        self.rememberedAnswers = rememberedAnswers
    }

    /// Reserves a username not yet taken (per `accounts` and recent registrations).
    func reserve(_ username: String, accounts: Accounts) -> Bool {
        let key = username.lowercased()
        guard accounts.account(named: key) == nil, registrations[key] == nil, !reserved.contains(key) else { return false }
        reserved.insert(key)
        return true
    }

    func finishRegistration(_ username: String, account: Accounts.Account?) {
        let key = username.lowercased()
        reserved.remove(key)
        if let account { registrations[key] = account }
    }

    func recentlyRegistered(_ username: String) -> Accounts.Account? { registrations[username.lowercased()] }

    /// Claims a ticket for one vote at a time; its earlier answer if it was already used.
    func claim(_ ticket: UUID) -> (claimed: Bool, earlier: Answer?) {
        if let earlier = answeredTickets[ticket] { return (false, earlier) }
        guard ticketsInFlight.insert(ticket).inserted else { return (false, nil) }
        return (true, nil)
    }

    func release(_ ticket: UUID, answer: Answer?) {
        ticketsInFlight.remove(ticket)
        if let answer { answeredTickets[ticket] = answer }
    }

    func answer(for key: String) -> Answer? { answers[key] }

    func remember(_ answer: Answer, for key: String) {
        if answers.updateValue(answer, forKey: key) == nil { answerOrder.append(key) }
        if answerOrder.count > rememberedAnswers {
            for old in answerOrder.prefix(answerOrder.count - rememberedAnswers) { answers.removeValue(forKey: old) }
            answerOrder.removeFirst(answerOrder.count - rememberedAnswers)
        }
    }

    func shownPairs(to voter: UserID) -> [PairKey] { shown[voter] ?? [] }

    func noteShown(_ pair: PairKey, to voter: UserID) {
        var pairs = shown[voter] ?? []
        pairs.append(pair)
        if pairs.count > 32 { pairs.removeFirst(pairs.count - 32) }
        shown[voter] = pairs
    }
}
