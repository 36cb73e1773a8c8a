import Recommender
import Logging
import MovieMashCore
import ServiceLifecycle
import Synchronization

/// Refits Bradley–Terry standings (with bootstrap intervals) in the background and swaps them in whole.
///
/// Every `interval` it takes the latest comparison counts from `source`; when votes arrived since the last
/// fit, it fits sets and films off the projector's path and publishes both leaderboards at once. Readers
/// always see one complete fit, never a half-updated one. A fit (with its bootstrap) keeps both cores
/// busy, so after a fit that took d the next waits at least `idleFactor` × d: under a steady stream of
/// votes the leaderboards take at most 1 / (1 + idleFactor) of the machine, and the gateway the rest.
/// Fits run at low priority, so on a machine kept busy they could starve; `maximumStaleness` bounds that:
/// no pause is longer, and after a fit that took longer the next runs at normal priority.
public final class LeaderboardService: Service, Sendable {
    /// The standings of one fit and the log position of the counts it used.
    public struct Standings: Sendable {
        public var sets: Leaderboard<SetID> = .empty
        public var films: Leaderboard<MovieID> = .empty
        public var position: UInt64 = 0

        public init(sets: Leaderboard<SetID> = .empty, films: Leaderboard<MovieID> = .empty, position: UInt64 = 0) {
            self.sets = sets
            self.films = films
            self.position = position
        }
    }

    private let source: ProjectorService<BradleyTerryCounts>
    private let interval: Duration
    private let idleFactor: Int
    private let maximumStaleness: Duration
    private let logger: Logger
    private let published = Mutex(Standings())
    /// How long the published fit took, from its start to its publication.
    private let lastFitTook = Mutex<Duration?>(nil)

    public init(
        source: ProjectorService<BradleyTerryCounts>, interval: Duration = .seconds(5), idleFactor: Int = 9,
        maximumStaleness: Duration = .seconds(60), logger: Logger
    ) {
        self.source = source
        self.interval = interval
        self.idleFactor = idleFactor
        self.maximumStaleness = maximumStaleness
        self.logger = logger
    }

    /// The priority of a fit after one that took `previousFit` (nil: none has been published): normal for
    /// the first (there is nothing to serve until it is done) and after a fit that took longer than
    /// `maximumStaleness` (it was starved, and the leaderboards went that long without votes), low otherwise.
    /// Not the age of the leaderboards: after a quiet spell with no votes they are old but not behind, and
    /// a normal-priority fit then competed with the first votes for the CPU.
    static func priority(previousFit: Duration?, maximumStaleness: Duration) -> BackgroundThreads.Priority {
        guard let previousFit, previousFit <= maximumStaleness else { return .normal }
        return .low
    }

    /// The pause after a fit that took `took`: `idleFactor` times as long, at least `interval`, at most
    /// `maximumStaleness`.
    static func pause(after took: Duration, interval: Duration, idleFactor: Int, maximumStaleness: Duration) -> Duration {
        min(max(interval, took * idleFactor), max(interval, maximumStaleness))
    }

    public var current: Standings { published.withLock { $0 } }

    public func run() async throws {
        var fittedVotes = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let (counts, position) = source.current
            var pause = interval
            if counts.votes != fittedVotes {
                fittedVotes = counts.votes
                let started = ContinuousClock.now
                do {
                    // A fit can take seconds: shutting down must not wait for it.
                    try await cancelWhenGracefulShutdown { try await self.refit(counts, position: position) }
                } catch is CancellationError {
                    return
                }
                pause = Self.pause(
                    after: ContinuousClock.now - started, interval: interval, idleFactor: idleFactor, maximumStaleness: maximumStaleness)
            }
            do {
                try await cancelWhenGracefulShutdown { [pause] in try await Task.sleep(for: pause) }
            } catch is CancellationError {
                return
            }
        }
    }

    /// Fits `counts` now and publishes the result.
    public func refit(_ counts: BradleyTerryCounts, position: UInt64) async throws {
        let started = ContinuousClock.now
        let priority = Self.priority(previousFit: lastFitTook.withLock { $0 }, maximumStaleness: maximumStaleness)
        let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, priority: priority)
        let films = await Leaderboard.fit(counts.films, configuration: counts.configuration, priority: priority)
        try Task.checkCancellation()
        published.withLock { $0 = Standings(sets: sets, films: films, position: position) }
        let took = ContinuousClock.now - started
        lastFitTook.withLock { $0 = took }
        logger.debug("leaderboards refitted", metadata: [
            "position": "\(position)", "sets": "\(sets.entries.count)", "films": "\(films.entries.count)",
            "seconds": "\(took / .seconds(1))",
        ])
    }
}
