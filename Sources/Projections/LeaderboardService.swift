import Foundation
import Recommender
import Logging
import MovieMashCore
import ServiceLifecycle
import Synchronization

/// Refits Bradley–Terry standings (with bootstrap intervals) in the background and swaps them in whole.
///
/// It takes the latest comparison counts from `source`; when votes arrived since the last fit, it fits
/// sets and films off the projector's path and publishes both leaderboards at once. Readers always see
/// one complete fit, never a half-updated one. When to fit, and at what priority, is `RefitPacing`'s
/// decision.
public final class LeaderboardService: Service, Sendable {
    /// The standings of one fit and the log position of the counts it used.
    public struct Standings: Sendable {
        public var sets: Leaderboard<SetID> = .empty
        public var films: Leaderboard<MovieID> = .empty
        public var position: UInt64 = 0
        /// When the fit finished (nil before the first).
        public var fittedAt: Date?

        public init(sets: Leaderboard<SetID> = .empty, films: Leaderboard<MovieID> = .empty, position: UInt64 = 0, fittedAt: Date? = nil) {
            self.sets = sets
            self.films = films
            self.position = position
            self.fittedAt = fittedAt
        }
    }

    private let source: ProjectorService<BradleyTerryCounts>
    private let logger: Logger
    private let published = Mutex(Standings())
    private let pacing: Mutex<RefitPacing<ContinuousClock.Instant>>

    public init(
        source: ProjectorService<BradleyTerryCounts>, interval: Duration = .seconds(5), idleFactor: Int = 9,
        maximumStaleness: Duration = .seconds(60), logger: Logger
    ) {
        self.source = source
        self.logger = logger
        pacing = Mutex(RefitPacing(configuration: .init(interval: interval, idleFactor: idleFactor, maximumStaleness: maximumStaleness)))
    }

    public var current: Standings { published.withLock { $0 } }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let (counts, position) = source.current
            var action = pacing.withLock { $0.check(votes: counts.votes, now: .now) }
            if case .fit(let priority) = action {
                do {
                    // A fit can take seconds: shutting down must not wait for it.
                    try await cancelWhenGracefulShutdown { try await self.refit(counts, position: position, priority: priority) }
                } catch is CancellationError {
                    return
                }
                action = pacing.withLock { $0.fitFinished(now: .now) }
            }
            guard case .wait(let until) = action else { continue }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: until) }
            } catch is CancellationError {
                return
            }
        }
    }

    /// Fits `counts` now, at `priority`, and publishes the result.
    func refit(_ counts: BradleyTerryCounts, position: UInt64, priority: BackgroundThreads.Priority) async throws {
        let started = ContinuousClock.now
        let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, priority: priority)
        let films = await Leaderboard.fit(counts.films, configuration: counts.configuration, priority: priority)
        try Task.checkCancellation()
        published.withLock { $0 = Standings(sets: sets, films: films, position: position, fittedAt: Date()) }
        logger.debug("leaderboards refitted", metadata: [
            "position": "\(position)", "sets": "\(sets.entries.count)", "films": "\(films.entries.count)",
            "seconds": "\((ContinuousClock.now - started) / .seconds(1))",
        ])
    }
}
