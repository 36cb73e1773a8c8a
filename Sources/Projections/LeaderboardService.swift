import Foundation
import Recommender
import Logging
import MovieMashCore
import ServiceLifecycle
import Synchronization

/// Refits Bradley–Terry standings in the background and swaps them in whole.
///
/// It takes the latest counts from `source`; when the served fit is no longer current (`FitCoverage`), it
/// fits the set board (with its bootstrap) and then the film board as teams from it (`FilmTeams`), off
/// the projector's path, each from the previous fit's solutions, and publishes both leaderboards at once.
/// Readers always see one complete fit, never a half-updated one; replaced fits stay available by id as
/// `FitRetention` decides, so a reader paging through one fit never mixes two. When to fit, and at what
/// priority, is `RefitPacing`'s decision.
public final class LeaderboardService: Service, Sendable {
    /// The standings of one fit and what it covers.
    public struct Standings: Sendable {
        public var sets: Leaderboard<SetID> = .empty
        public var films: Leaderboard<MovieID> = .empty
        /// The log position of the counts it used: it covers every event below.
        public var position: UInt64 = 0
        /// When the fit finished (nil before the first).
        public var fittedAt: Date?
        /// The votes it covers.
        public var votes = 0
        /// How long the fit took (nil before the first).
        public var duration: Duration?
        /// The set counts the fit used, which tell the votes on a pair since (newest fit only).
        public var setCounts: PairCounts<SetID>?
        /// What the fit covers (nil before the first).
        public var coverage: FitCoverage?

        public init(
            sets: Leaderboard<SetID> = .empty, films: Leaderboard<MovieID> = .empty, position: UInt64 = 0, fittedAt: Date? = nil,
            votes: Int = 0, duration: Duration? = nil, coverage: FitCoverage? = nil
        ) {
            self.sets = sets
            self.films = films
            self.position = position
            self.fittedAt = fittedAt
            self.votes = votes
            self.duration = duration
            self.coverage = coverage
        }

        /// The fit's id: the log position it covers, so the same id means the same votes on every node.
        /// Nil before the first fit.
        public var id: UInt64? { fittedAt == nil ? nil : position }
    }

    private struct Published: Sendable {
        var current = Standings()
        /// Earlier fits still served by id, without the solutions only the next refit needs.
        var earlier: [UInt64: Standings] = [:]
        var retention: FitRetention<ContinuousClock.Instant>
    }

    private let source: ProjectionCell<BradleyTerryCounts>
    private let logger: Logger
    private let published: Mutex<Published>
    private let pacing: Mutex<RefitPacing<ContinuousClock.Instant>>
    /// The time the pacing and the fits' retention go by (tests move their own).
    private let now: @Sendable () -> ContinuousClock.Instant

    /// `retention`: how long a fit stays available by id after a newer one replaced it (at most 16 are kept).
    public init(
        source: ProjectionCell<BradleyTerryCounts>, interval: Duration = .seconds(5), idleFactor: Int = 9,
        maximumStaleness: Duration = .seconds(60), busyVoteRate: Double = 1_000, busyInterval: Duration = .seconds(30),
        retention: Duration = .seconds(600), logger: Logger, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.source = source
        self.logger = logger
        self.now = now
        published = Mutex(Published(retention: FitRetention(retention: retention)))
        pacing = Mutex(RefitPacing(configuration: .init(
            interval: interval, idleFactor: idleFactor, maximumStaleness: maximumStaleness, busyVoteRate: busyVoteRate, busyInterval: busyInterval)))
    }

    /// The newest fit.
    public var current: Standings { published.withLock { $0.current } }

    /// The fit with this id, if it is the newest or replaced within `retention`.
    public func standings(fit id: UInt64) -> Standings? {
        let now = now()
        return published.withLock { published in
            if published.current.id == id { return published.current }
            return published.retention.serves(id, now: now) ? published.earlier[id] : nil
        }
    }

    /// The ids of every fit still served, newest first.
    public var fitIDs: [UInt64] {
        let now = now()
        return published.withLock { published in
            [published.current.id].compactMap { $0 }
                + published.retention.kept.reversed().map(\.id).filter { published.retention.serves($0, now: now) }
        }
    }

    /// Where `fit` stands against the counts now, and how many events the counts have applied beyond it
    /// (0 while it is current): the one answer the pages, readiness and `/metrics` give.
    public func freshness(of fit: Standings) -> (state: FitFreshness, eventsBehind: UInt64) {
        let (counts, counted) = source.current
        return FitCoverage.standing(served: fit.coverage, position: fit.position, counts: counts.coverage, countedTo: counted)
    }

    public func run() async throws {
        // The first fit is of counts that have caught up with the log: a fit of a state still being
        // replayed would be served, and counted by readiness, as if it were the leaderboards.
        while !source.hasCaughtUp {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(20)) }
            } catch is CancellationError {
                return
            }
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let (counts, position) = source.current
            var action = pacing.withLock {
                $0.check(counts.coverage, now: now())
            }
            if case .fit(let priority) = action {
                do {
                    // A fit can take seconds: shutting down must not wait for it.
                    try await cancelWhenGracefulShutdown { try await self.refit(counts, position: position, priority: priority) }
                } catch is CancellationError {
                    return
                }
                action = pacing.withLock { $0.fitFinished(now: now()) }
            }
            guard case .wait(let until) = action else { continue }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: until) }
            } catch is CancellationError {
                return
            }
        }
    }

    /// Fits `counts` now, at `priority`, from the current fit's solutions, and publishes the result.
    func refit(_ counts: BradleyTerryCounts, position: UInt64, priority: BackgroundThreads.Priority) async throws {
        let started = now()
        let previous = current
        // The film board's intervals are drawn from the set board's bootstrap rounds: sets first.
        let fittedSets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous.sets, priority: priority)
        try Task.checkCancellation()
        let fittedFilms = await Leaderboard.fitFilms(counts, sets: fittedSets, previous: previous.films, priority: priority)
        try Task.checkCancellation()
        let took = now() - started
        var standings = Standings(
            sets: fittedSets, films: fittedFilms, position: position, fittedAt: Date(), votes: counts.votes, duration: took,
            coverage: counts.coverage)
        standings.setCounts = counts.sets
        let now = now()
        published.withLock { published in
            if let id = published.current.id {
                var replaced = published.current
                replaced.sets = replaced.sets.withoutSolutions
                replaced.films = replaced.films.withoutSolutions
                replaced.setCounts = nil
                published.earlier[id] = replaced
                for dropped in published.retention.replaced(id, at: now) { published.earlier[dropped] = nil }
            } else {
                for dropped in published.retention.expire(now: now) { published.earlier[dropped] = nil }
            }
            published.current = standings
        }
        logger.info("leaderboards refitted", metadata: [
            "position": "\(position)", "votes": "\(counts.votes)", "sets": "\(fittedSets.entries.count)",
            "films": "\(fittedFilms.entries.count)", "seconds": "\(Double(took / .microseconds(1)) / 1_000_000)",
            "priority": "\(priority)",
        ])
    }
}
