import Recommender

/// When the leaderboards are refitted and at what priority, decided apart from the fitting and the clock.
///
/// A fit (with its bootstrap) keeps both cores busy, so after a fit that took d the next waits at least
/// `idleFactor` × d: under a steady stream of votes the fits take at most 1 / (1 + idleFactor) of the
/// machine. Fits run at low priority and could starve on a busy machine; `maximumStaleness` bounds that:
/// no pause is longer, and after a fit that took longer the next runs at normal priority.
///
/// While votes arrive at `busyVoteRate` or faster, fits start at most every `busyInterval`: a fit costs
/// the same however few votes it adds, a low-priority one still slows the request threads beside it
/// (shared caches, sibling hyperthreads), and at such rates the standings move little between fits.
struct RefitPacing<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    struct Configuration: Sendable {
        var interval: Duration
        var idleFactor: Int
        var maximumStaleness: Duration
        /// Votes per second, since the last fit started, at which fits are spaced by `busyInterval`.
        var busyVoteRate: Double = 1_000
        /// The least time between the starts of two fits while votes arrive at `busyVoteRate`; kept within
        /// `maximumStaleness`.
        var busyInterval: Duration = .seconds(30)
    }

    enum Action: Equatable, Sendable {
        /// Fit the counts seen now at this priority, then call `fitFinished`.
        case fit(BackgroundThreads.Priority)
        /// Look again at this instant.
        case wait(until: Instant)
    }

    let configuration: Configuration
    /// What the last fit covered (nil before the first).
    private var fitted: FitCoverage?
    private var fitStarted: Instant?
    /// When the last fit started, kept after it finished (the vote rate is measured from it).
    private var lastFitStarted: Instant?
    /// How long the last published fit took, from its start to its publication.
    private(set) var lastFitTook: Duration?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The counts now cover `coverage`: fit them the first time and whenever the fit is no longer current
    /// (`FitCoverage`), else look again after `interval`; while votes arrive at `busyVoteRate`, not before
    /// `busyInterval` after the last fit started.
    mutating func check(_ coverage: FitCoverage, now: Instant) -> Action {
        if FitCoverage.freshness(served: fitted, counts: coverage) == .current { return .wait(until: now.advanced(by: configuration.interval)) }
        if let fitted, let lastFitStarted {
            let since = lastFitStarted.duration(to: now), busyInterval = min(configuration.busyInterval, configuration.maximumStaleness)
            if since > .zero, since < busyInterval, Double(coverage.votes - fitted.votes) >= configuration.busyVoteRate * (since / .seconds(1)) {
                return .wait(until: lastFitStarted.advanced(by: busyInterval))
            }
        }
        fitted = coverage
        fitStarted = now
        lastFitStarted = now
        return .fit(Self.priority(previousFit: lastFitTook, maximumStaleness: configuration.maximumStaleness))
    }

    /// The fit started by the last `check` was published.
    mutating func fitFinished(now: Instant) -> Action {
        let took = fitStarted.map { $0.duration(to: now) } ?? .zero
        fitStarted = nil
        lastFitTook = took
        return .wait(until: now.advanced(by: Self.pause(after: took, configuration: configuration)))
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
    static func pause(after took: Duration, configuration: Configuration) -> Duration {
        min(max(configuration.interval, took * configuration.idleFactor), max(configuration.interval, configuration.maximumStaleness))
    }
}
