import MovieMashCore
import Projections

/// What the gateway reads: the latest immutable state of each projection, taken without waiting.
public struct ReadModel: Sendable {
    public var catalogue: @Sendable () -> Catalogue
    public var tallies: @Sendable () -> Tallies
    public var elo: @Sendable () -> EloRatings
    public var standings: @Sendable () -> LeaderboardService.Standings
    /// What the Bradley–Terry counts cover now and the position they reached: a fit is current when it
    /// covers the same (`FitCoverage`).
    public var counts: @Sendable () -> (coverage: FitCoverage, position: UInt64) = { (FitCoverage(votes: 0, sets: 0, films: 0), 0) }
    /// The fit with an id, while the node still serves it (the newest, or one replaced recently).
    public var fit: @Sendable (UInt64) -> LeaderboardService.Standings? = { _ in nil }
    /// Each component and its lag, for `/ready`.
    public var readiness: @Sendable () async -> Readiness
    /// Nil while this node takes writes now (the writer, or the standby writer holding the lease); else
    /// why not. `GET /ready/writer`, which HAProxy's writer backend checks, answers from it.
    public var notWriting: @Sendable () -> String? = { "this node does not take writes" }
    /// The accounts and the position they cover.
    public var accounts: @Sendable () -> (state: Accounts, position: UInt64) = { (Accounts(), 0) }
    /// The position reads reflect, and waiting for one.
    public var consistency = Consistency.none
    public var recentPairs: @Sendable () -> RecentPairs = { RecentPairs() }
    /// Each voter's own votes.
    public var voterHistory: @Sendable () -> VoterHistory = { VoterHistory() }
    /// Recommendations for a voter (the recommender service's), best first, the films of the set given last
    /// only when nothing else is left.
    public var recommendations: @Sendable (UserID, Int, Set<MovieID>) -> [Recommendation] = { _, _, _ in [] }

    public init(
        catalogue: @escaping @Sendable () -> Catalogue, tallies: @escaping @Sendable () -> Tallies,
        elo: @escaping @Sendable () -> EloRatings, standings: @escaping @Sendable () -> LeaderboardService.Standings,
        readiness: @escaping @Sendable () async -> Readiness
    ) {
        self.catalogue = catalogue
        self.tallies = tallies
        self.elo = elo
        self.standings = standings
        self.readiness = readiness
    }
}
