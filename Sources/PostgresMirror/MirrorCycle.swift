import MovieMashCore

/// The mirror's decisions, apart from PostgreSQL: connect, take the lock (waiting with backoff while
/// another mirror holds it), copy, and after a failure either stop (it is permanent) or retry after a
/// capped backoff that starts over once a session has mirrored. It reports a state only when it really
/// changes, so an outage is one warning however many attempts it takes.
struct MirrorCycle: Sendable {
    enum Action: Equatable, Sendable {
        /// Tell the operator: the state changed.
        case report(PostgresMirror.State)
        /// Open a session: connect, migrate, try the lock.
        case connect
        /// Wait this long, then try again (the lock, or a whole session).
        case wait(Duration)
        /// Stop mirroring for good with this error.
        case stop(MirrorError)
    }

    private(set) var state: PostgresMirror.State = .starting
    /// Failed sessions since the mirror started.
    private(set) var failedAttempts = 0
    private var reported: PostgresMirror.State?
    private var retry: Backoff
    private var lockWait: Backoff
    /// Once caught up, falling behind by at most this many events is the ordinary rhythm of a live
    /// stream (each batch lands a moment after its events), not news.
    private let behindBound: UInt64
    /// Whether the current session got as far as mirroring: its failure starts the backoff over.
    private var sessionMirrored = false

    init(retry: Backoff, lockWait: Backoff = Backoff(base: .milliseconds(50), cap: .seconds(2)), behindBound: UInt64 = 10_000) {
        self.retry = retry
        self.lockWait = lockWait
        self.behindBound = behindBound
    }

    /// The mirror starts, or starts over after a wait.
    mutating func start() -> [Action] {
        move(to: .connecting) + [.connect]
    }

    /// Another mirror holds this database's lock.
    mutating func lockBusy(using random: inout some RandomNumberGenerator) -> [Action] {
        move(to: .waitingForLock) + [.wait(lockWait.next(using: &random))]
    }

    /// This session holds the lock and starts copying.
    mutating func lockTaken() -> [Action] {
        lockWait.reset()
        sessionMirrored = true
        return []
    }

    /// `lagEvents` events wait to be copied. Reported before the mirror first caught up, and after it
    /// did only once it is more than `behindBound` behind.
    mutating func behind(lagEvents: UInt64) -> [Action] {
        if reported == .caughtUp, lagEvents <= behindBound {
            state = .catchingUp
            return []
        }
        return move(to: .catchingUp)
    }

    /// Everything in the log is in PostgreSQL.
    mutating func caughtUp() -> [Action] { move(to: .caughtUp) }

    /// The session failed with `error` (already described for an operator).
    mutating func failed(_ error: MirrorError, using random: inout some RandomNumberGenerator) -> [Action] {
        if error.isPermanent { return move(to: .stopped) + [.stop(error)] }
        failedAttempts += 1
        if sessionMirrored { retry.reset() }
        sessionMirrored = false
        return move(to: .retrying(error.message)) + [.wait(retry.next(using: &random))]
    }

    /// The mirror ended: a backfill reached its end, or it was shut down.
    mutating func stopped() -> [Action] { move(to: .stopped) }

    private mutating func move(to next: PostgresMirror.State) -> [Action] {
        state = next
        // Reconnecting is part of retrying: an outage reports once, and once more when it is over.
        let quiet = next == reported || (next == .connecting && reported.map { if case .retrying = $0 { true } else { false } } == true)
        guard !quiet else { return [] }
        reported = next
        return [.report(next)]
    }
}
