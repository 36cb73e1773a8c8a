import Logging
import MovieMashCore
import Projections
import ServiceLifecycle

/// The one list of what a node derives from its events: the projection cells (kept current by one
/// `ProjectionRuntime`), the background leaderboard fit and the recommender. The server runs them,
/// `/ready` and `/metrics` report them, replay rebuilds them.
public struct Projectors: Sendable {
    public let catalogue = ProjectionCell(Catalogue())
    public let tallies = ProjectionCell(Tallies())
    public let elo = ProjectionCell(EloRatings())
    public let counts = ProjectionCell(BradleyTerryCounts())
    public let recentPairs = ProjectionCell(RecentPairs())
    public let accounts: ProjectionCell<Accounts>
    public let voterHistory = ProjectionCell(VoterHistory())
    /// The one follow loop of the node, feeding every cell above.
    public let runtime: ProjectionRuntime
    public let leaderboards: LeaderboardService
    public let recommender: RecommenderService
    /// Each projection by name with the signal of the position it has published (everything below it
    /// applied): the one list that positions, waiting and readiness read.
    private let published: [(name: String, reached: PositionSignal)]
    /// What reads show directly: every projection but the Bradley–Terry counts, which reach readers only
    /// through the leaderboard fit (it refits in the background and says what it covers). Kept, not
    /// derived on each call: every request asks for `position`.
    private let read: [PositionSignal]

    /// Fresh projectors of every kind the service runs, for replay: the recommender's interactions among
    /// them, as the recommender keeps them.
    public static func fresh() -> [any Projector] {
        [Catalogue(), Tallies(), EloRatings(), BradleyTerryCounts(), RecentPairs(), Accounts(), VoterHistory(), RecommenderInteractions()]
    }

    /// `vault` opens the accounts' sealed fields (the writer's key store; a replica has none).
    public init(source: any EventSource, snapshots: SnapshotStore?, vault: (any PersonalDataVault)? = nil, logger: Logger) {
        accounts = ProjectionCell(Accounts(vault: vault))
        let leaderboards = LeaderboardService(source: counts, logger: logger)
        self.leaderboards = leaderboards
        recommender = RecommenderService(logger: logger) {
            leaderboards.current.films.entries.prefix(100).map(\.item)
        }
        runtime = ProjectionRuntime(
            source: source, cells: catalogue, tallies, elo, counts, recentPairs, accounts, voterHistory, recommender: recommender,
            snapshots: snapshots, logger: logger)
        published = runtime.published
        read = published.filter { $0.name != BradleyTerryCounts.name }.map(\.reached)
    }

    /// The services in start order: the projections before the fit that reads their counts.
    public var services: [any Service] { [runtime, leaderboards] }

    /// Each projection by name with the position it has applied up to (everything below it).
    public var positions: [(name: String, position: UInt64)] { published.map { ($0.name, $0.reached.position) } }

    /// The position every read reflects: the least any read projection (and the recommender's
    /// interactions) has applied.
    public var position: UInt64 {
        var least = UInt64.max
        for signal in read { least = min(least, signal.position) }
        return least
    }

    /// Whether every read projection reaches `target` within `bound` (a request that must see a write
    /// waits so).
    public func reach(_ target: UInt64, within bound: Duration) async -> Bool {
        await PositionSignal.wait(for: read, until: target, within: bound)
    }

    /// Each projection as `/ready` judges it against `end`: its position, the age of its oldest
    /// unapplied event in `source`, and for the recommender whether its first model is still to come.
    func observed(end: UInt64, source: any EventSource, now: Timestamp = .now) async -> [NodeReadiness.Projection] {
        var ages: [UInt64: Double] = [:]
        var observed: [NodeReadiness.Projection] = []
        for (name, position) in positions {
            var projection = NodeReadiness.Projection(name: name, position: position)
            if position < end {
                if ages[position] == nil, let oldest = await Self.event(at: position, in: source) {
                    ages[position] = Double(now.milliseconds - oldest.occurredAt.milliseconds) / 1000
                }
                projection.oldestUnappliedAge = ages[position]
            }
            observed.append(projection)
        }
        let recommender = self.recommender.current
        if recommender.model == nil, !recommender.interactions.matrix.rows.isEmpty,
           let index = observed.firstIndex(where: { $0.name == RecommenderInteractions.name }) {
            observed[index].pending = "its first model is still being trained"
        }
        return observed
    }

    /// The served fit as `/ready` judges it: whether one exists, and how far behind the counts it is.
    func observedFit(source: any EventSource, now: Timestamp = .now) async -> NodeReadiness.Fit {
        let fit = leaderboards.current, (state, lag) = leaderboards.freshness(of: fit)
        var observed = NodeReadiness.Fit(freshness: state, lagEvents: lag)
        if state != .current, let oldest = await Self.event(at: fit.position, in: source) {
            observed.oldestUncoveredAge = Double(now.milliseconds - oldest.occurredAt.milliseconds) / 1000
        }
        return observed
    }

    /// The event at `position`, or nil unless `source` gives it within a quarter second: a probe of
    /// `/ready` must answer even while a replica's database is away (its source retries until it is back).
    private static func event(at position: UInt64, in source: any EventSource) async -> EventEnvelope? {
        await withTaskGroup(of: EventEnvelope?.self) { group in
            group.addTask { try? await source.events(from: position, limit: 1).first }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(250))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
