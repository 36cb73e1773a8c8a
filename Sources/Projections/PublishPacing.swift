/// When a service following the log publishes its state. Publishing shares the state's storage with
/// readers, so the next event applied copies it whole: under a stream of events it publishes at most every
/// `interval`, and the last events before a pause are published within `interval`.
struct PublishPacing {
    enum Step: Equatable {
        case publish
        /// Not caught up and published recently: apply the next round first.
        case keepApplying
        /// Caught up right after a publish, while events keep arriving: gather more this long, then
        /// publish them all in one copy.
        case gather(for: Duration)
    }

    let interval: Duration
    private var last: ContinuousClock.Instant

    init(interval: Duration, now: ContinuousClock.Instant = .now) {
        self.interval = interval
        last = now
    }

    /// What to do after a round that applied `applied` events; `caughtUp`: the log had no more.
    func step(applied: Int, caughtUp: Bool, now: ContinuousClock.Instant = .now) -> Step {
        let since = now - last
        if caughtUp, applied > 0, since < interval { return .gather(for: interval - since) }
        return caughtUp || since >= interval ? .publish : .keepApplying
    }

    mutating func published(at now: ContinuousClock.Instant = .now) { last = now }
}
