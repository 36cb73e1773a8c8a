import Logging
import MovieMashCore
import ServiceLifecycle
import Synchronization

/// Refits Bradley–Terry standings (with bootstrap intervals) in the background and swaps them in whole.
///
/// Every `interval` it takes the latest comparison counts from `source`; when votes arrived since the last
/// fit, it fits sets and films off the projector's path and publishes both leaderboards at once. Readers
/// always see one complete fit, never a half-updated one.
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
    private let logger: Logger
    private let published = Mutex(Standings())

    public init(source: ProjectorService<BradleyTerryCounts>, interval: Duration = .seconds(5), logger: Logger) {
        self.source = source
        self.interval = interval
        self.logger = logger
    }

    public var current: Standings { published.withLock { $0 } }

    public func run() async throws {
        var fittedVotes = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let (counts, position) = source.current
            if counts.votes != fittedVotes {
                fittedVotes = counts.votes
                try await refit(counts, position: position)
            }
            do {
                try await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            } catch is CancellationError {
                return
            }
        }
    }

    /// Fits `counts` now and publishes the result.
    public func refit(_ counts: BradleyTerryCounts, position: UInt64) async throws {
        let started = ContinuousClock.now
        let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration)
        let films = await Leaderboard.fit(counts.films, configuration: counts.configuration)
        try Task.checkCancellation()
        published.withLock { $0 = Standings(sets: sets, films: films, position: position) }
        logger.debug("leaderboards refitted", metadata: [
            "position": "\(position)", "sets": "\(sets.entries.count)", "films": "\(films.entries.count)",
            "seconds": "\((ContinuousClock.now - started) / .seconds(1))",
        ])
    }
}
