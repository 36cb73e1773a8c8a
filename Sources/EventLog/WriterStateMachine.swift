/// The log writer's decisions, apart from its I/O: when a round of queued appends is written, whether
/// the round syncs, when an interval sync is due, what a failure does, when healing may start and how
/// closing finishes.
///
/// The writer actor feeds it what happened and performs the actions it returns; time comes in as
/// instants of any clock, so tests drive it with a manual one and no files.
struct WriterStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    enum State: Equatable, Sendable {
        /// Nothing queued, nothing being written.
        case idle
        /// A round is being written; appends that arrive meanwhile form the next one.
        case writing
        /// A write or sync failed: every append is refused with this error until healing succeeds.
        case failed(EventLogError)
        /// The last segment is being reopened and recovered after that failure; appends are still refused.
        case healing(EventLogError)
        case closed
    }

    enum Action: Equatable, Sendable {
        /// Write the queued appends as one batch, syncing it before any is acknowledged when `sync`; when
        /// `gather`, first let appenders that the last round woke queue up again (bigger rounds, fewer
        /// syncs). A lone appender is not made to wait for company it does not have.
        case write(sync: Bool, gather: Bool)
        /// Sync what was written by this instant (the interval policy): start a timer.
        case scheduleSync(at: Instant)
        /// Sync what was written.
        case sync
        /// Refuse every queued append with this error.
        case failQueued(EventLogError)
        /// Sync (when `sync`) and release the log: closing is complete after it.
        case finishClose(sync: Bool)
    }

    let policy: EventLog.FsyncPolicy
    private(set) var state: State = .idle
    /// Set while a close waits for the round in progress.
    private(set) var closing = false
    private var syncPending: Instant?

    init(policy: EventLog.FsyncPolicy) {
        self.policy = policy
    }

    /// Nil when an append may be queued now, else the error that refuses it.
    var refusal: EventLogError? {
        if closing { return EventLogError(.closed, "the log is closed") }
        switch state {
        case .idle, .writing: return nil
        case .failed(let error), .healing(let error): return error
        case .closed: return EventLogError(.closed, "the log is closed")
        }
    }

    /// What the rest of the service sees of the writer.
    var status: EventLog.WriterStatus {
        if closing { return .closed }
        return switch state {
        case .idle, .writing: .up
        case .failed(let error): .failed(error)
        case .healing(let error): .healing(error)
        case .closed: .closed
        }
    }

    /// Appends were queued: the first starts a round, later ones wait for the round in progress.
    mutating func queued() -> Action? {
        guard state == .idle, !closing else { return nil }
        state = .writing
        return roundAction
    }

    /// Records in the last round written: more than one means concurrent appenders, worth gathering.
    private var lastRoundRecords = 0

    private var roundAction: Action { .write(sync: policy == .always, gather: lastRoundRecords > 1) }

    /// A round of `records` was written (and synced when it was asked to); `dirty`: written but not synced yet.
    mutating func roundWritten(records: Int, dirty: Bool, moreQueued: Bool, now: Instant) -> [Action] {
        guard state == .writing else { return [] }
        lastRoundRecords = records
        var actions: [Action] = []
        if dirty, case .interval(let milliseconds) = policy, syncPending == nil {
            let deadline = now.advanced(by: .milliseconds(milliseconds))
            syncPending = deadline
            actions.append(.scheduleSync(at: deadline))
        }
        // Appends queued before a close are still written: the close waits for them.
        if moreQueued {
            actions.append(roundAction)
        } else {
            state = .idle
            if closing { actions.append(contentsOf: finishClose()) }
        }
        return actions
    }

    /// A write or sync failed: the file is in an unknown state (the kernel may have dropped the dirty
    /// pages), so the writer stops taking appends until the log is reopened and recovered.
    mutating func failed(_ error: EventLogError) -> [Action] {
        switch state {
        case .closed, .failed, .healing: return []
        case .idle, .writing:
            state = .failed(error)
            var actions: [Action] = [.failQueued(error)]
            if closing { actions.append(contentsOf: finishClose()) }
            return actions
        }
    }

    /// The interval sync's timer fired.
    mutating func syncDue() -> Action? {
        syncPending = nil
        switch state {
        case .idle, .writing: return .sync
        case .failed, .healing, .closed: return nil
        }
    }

    /// Whether healing may start now: only a failed writer that is not closing heals, one heal at a time.
    mutating func healRequested() -> Bool {
        guard case .failed(let error) = state, !closing else { return false }
        state = .healing(error)
        return true
    }

    /// The last segment was reopened, cut back to the last acknowledged batch and synced: appends are
    /// taken again (nothing was queued meanwhile: every append was refused).
    mutating func healed() -> [Action] {
        guard case .healing = state else { return [] }
        state = .idle
        return closing ? finishClose() : []
    }

    /// Healing failed with `error`: the writer stays failed, now for this reason.
    mutating func healFailed(_ error: EventLogError) -> [Action] {
        guard case .healing = state else { return [] }
        state = .failed(error)
        return closing ? finishClose() : []
    }

    /// A close was asked for: new appends are refused, those queued are still written, then the log
    /// syncs (unless the writer failed, when nothing more can be made durable).
    mutating func closeRequested() -> [Action] {
        guard !closing, state != .closed else { return [] }
        closing = true
        switch state {
        case .writing, .healing: return []
        case .idle, .failed, .closed: return finishClose()
        }
    }

    private mutating func finishClose() -> [Action] {
        let healthy = state == .idle
        state = .closed
        closing = false
        return [.finishClose(sync: healthy)]
    }
}
