/// When a projection cell publishes its state. Publishing shares the state's storage with readers, so the
/// next event applied copies it whole: while events flow a cell publishes at most every `interval`, and
/// events applied since its last publish are published once `interval` has passed, whether more come or
/// not (the runtime wakes at the instant this names). Behind the source's end (catching up), at most every
/// `behindInterval`: nobody reads a node that far behind, and each publish costs a copy of a state that
/// is large by then. A pure decision with an injected clock.
struct PublishPacing<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    enum Step: Equatable, Sendable {
        case publish
        /// Events wait to be published at this instant.
        case wait(until: Instant)
        /// Everything applied is published.
        case idle

        /// Runs `publish` when it is due; the instant the rest is due (nil: nothing waits).
        func perform(_ publish: () -> Void) -> Instant? {
            switch self {
            case .publish: publish(); return nil
            case .wait(let until): return until
            case .idle: return nil
            }
        }
    }

    let interval: Duration
    let behindInterval: Duration
    private var last: Instant

    init(interval: Duration, behindInterval: Duration = .milliseconds(250), now: Instant) {
        self.interval = interval
        self.behindInterval = max(interval, behindInterval)
        last = now
    }

    /// What to do now; `unpublished`: events were applied since the last publish; `behind`: the source
    /// held more than was read (the node is catching up).
    func step(unpublished: Bool, behind: Bool = false, now: Instant) -> Step {
        guard unpublished else { return .idle }
        let due = last.advanced(by: behind ? behindInterval : interval)
        return now >= due ? .publish : .wait(until: due)
    }

    mutating func published(at now: Instant) { last = now }
}
