import MovieMashCore

/// The writer lease's decisions, apart from PostgreSQL: a standby tries to take an ended lease every
/// `renewInterval`; the holder renews on the same period and steps down once its lease may have ended.
///
/// PostgreSQL's clock decides when a lease ends (`expires_at`), so no two nodes' clocks are compared. The
/// holder counts its lease from when it *sent* the request that took or renewed it, which is never later
/// than the server's start of it: the holder believes its lease ended no later than the server does.
/// Safety does not rest on that timing: the fencing epoch refuses a late commit whatever the clocks say.
public struct LeaseCycle<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// How long a lease lasts and how often it is renewed.
    public struct Settings: Sendable, Equatable {
        /// A lease taken or renewed lasts this long: the longest writes wait after a writer is lost.
        public var duration: Duration
        /// The holder renews, and standbys look for an ended lease, this often.
        public var renewInterval: Duration

        /// Throws unless a renewal fits at least twice into a lease: one late renewal must not end it.
        public init(duration: Duration = .seconds(2), renewInterval: Duration = .milliseconds(400)) throws(ConfigurationError) {
            guard duration > .zero, renewInterval > .zero else {
                throw ConfigurationError("the lease's duration and renewal interval must be positive", setting: "leaseDuration")
            }
            guard renewInterval * 2 <= duration else {
                throw ConfigurationError(
                    "a lease of \(duration) renewed every \(renewInterval) ends after one late renewal: renew at most every half lease",
                    setting: "leaseRenewInterval")
            }
            self.duration = duration
            self.renewInterval = renewInterval
        }
    }

    /// Where this node stands.
    public enum Role: Sendable, Equatable {
        /// It does not hold the lease and takes it once it ends.
        case standby
        /// It holds the lease under this epoch.
        case leading(epoch: Int64)
        /// It held the lease under this epoch and no longer does; it never leads again in this process.
        case steppedDown(epoch: Int64)
    }

    public enum Action: Sendable, Equatable {
        /// Try to take the lease if it has ended.
        case takeOver
        /// Renew the lease under this epoch.
        case renew(epoch: Int64)
        /// The lease is ours under this epoch: start writing.
        case lead(epoch: Int64)
        /// Stop acknowledging and mirroring at once, for this reason.
        case stepDown(epoch: Int64, reason: String)
        /// Nothing to do before this instant.
        case wait(until: Instant)
    }

    public let settings: Settings
    public private(set) var role: Role = .standby
    /// The holder's own bound on its lease: it acknowledges nothing from this instant on.
    public private(set) var validUntil: Instant?
    private var nextAttempt: Instant

    public init(settings: Settings, now: Instant) {
        self.settings = settings
        nextAttempt = now
    }

    /// What to do at `now`.
    public mutating func tick(now: Instant) -> [Action] {
        switch role {
        case .standby:
            return now >= nextAttempt ? [.takeOver] : [.wait(until: nextAttempt)]
        case .leading(let epoch):
            if let validUntil, now >= validUntil {
                return stepDown(epoch: epoch, reason: "no renewal succeeded within the lease's \(settings.duration)")
            }
            return now >= nextAttempt ? [.renew(epoch: epoch)] : [.wait(until: min(nextAttempt, validUntil ?? nextAttempt))]
        case .steppedDown:
            return []
        }
    }

    /// A takeover sent at `sentAt` took the lease under `epoch`.
    public mutating func tookOver(epoch: Int64, sentAt: Instant) -> [Action] {
        guard role == .standby else { return [] }
        role = .leading(epoch: epoch)
        validUntil = sentAt.advanced(by: settings.duration)
        nextAttempt = sentAt.advanced(by: settings.renewInterval)
        return [.lead(epoch: epoch)]
    }

    /// Another node holds a lease that has not ended: look again after a renewal interval.
    public mutating func held(now: Instant) {
        nextAttempt = now.advanced(by: settings.renewInterval)
    }

    /// A renewal sent at `sentAt` succeeded.
    public mutating func renewed(sentAt: Instant) {
        guard case .leading = role else { return }
        validUntil = max(validUntil ?? sentAt, sentAt.advanced(by: settings.duration))
        nextAttempt = sentAt.advanced(by: settings.renewInterval)
    }

    /// The lease no longer holds this node's epoch (a standby took it): step down.
    public mutating func superseded(reason: String) -> [Action] {
        guard case .leading(let epoch) = role else { return [] }
        return stepDown(epoch: epoch, reason: reason)
    }

    /// A request failed (PostgreSQL unreachable, say). The holder retries soon while its lease lasts,
    /// then steps down; a standby tries again after a renewal interval.
    public mutating func failed(now: Instant) -> [Action] {
        switch role {
        case .standby:
            nextAttempt = now.advanced(by: settings.renewInterval)
            return []
        case .leading(let epoch):
            if let validUntil, now >= validUntil {
                return stepDown(epoch: epoch, reason: "PostgreSQL did not renew the lease within its \(settings.duration)")
            }
            nextAttempt = now.advanced(by: settings.renewInterval / 4)
            return []
        case .steppedDown:
            return []
        }
    }

    private mutating func stepDown(epoch: Int64, reason: String) -> [Action] {
        role = .steppedDown(epoch: epoch)
        validUntil = nil
        return [.stepDown(epoch: epoch, reason: reason)]
    }
}
