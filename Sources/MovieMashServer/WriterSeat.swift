import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import PostgresMirror
import ServiceLifecycle
import Synchronization

/// A standby writer's seat: while another node holds the writer lease, it copies the `events` table into
/// its log (the same bytes, positions and ids); once the lease ends it takes it with a new epoch, copies
/// what is left up to the checkpoint the takeover returned, starts the mirror fenced by that epoch and
/// takes writes. It renews the lease on `LeaseCycle`'s period, and steps down (stops acknowledging, stops
/// mirroring) as soon as a renewal cannot be trusted, then ends the process at once (exit status 75): it
/// holds appends no one acknowledged, which only a restart drops. Its supervisor starts it again as a
/// standby, which cuts its log back (`LogRestore.rejoin`).
final class WriterSeat: Service, Sendable {
    /// The exit status of a node that lost the lease (EX_TEMPFAIL: start it again).
    static let leaseLostStatus: Int32 = 75

    private struct Seat {
        /// The log's appender, confirmed by the fenced mirror, while this node takes writes.
        var appender: LogAppender?
        var validUntil: ContinuousClock.Instant?
        var mirror: PostgresMirror?
        var epoch: Int64?
        var notWriting = "a standby writer: another node holds the writer lease"
        /// The fenced mirror's run.
        var mirroring: Task<Void, Never>?
        /// What else runs while this node writes (`whileLeading`).
        var duties: Task<Void, Never>?
        /// Set when leading failed for good: the promotion, or the mirror (its lease lost, say).
        var failure: String?
    }

    private let log: EventLog
    private let url: PostgresURL
    private let advertise: String
    private let settings: LeaseCycle<ContinuousClock.Instant>.Settings
    private let replicationTimeout: Duration
    private let logger: Logger
    /// What only the writer does besides taking writes (publishing derived tables, completing interrupted
    /// erasures), started once this node leads, given its mirror; it runs until the node stops.
    private let whileLeading: @Sendable (PostgresMirror) async throws -> Void
    private let seat = Mutex(Seat())
    private let clock = ContinuousClock()
    /// Events per query when copying the table into the log.
    private static let copyBatch = 10_000

    init(
        log: EventLog, url: PostgresURL, advertise: String, settings: LeaseCycle<ContinuousClock.Instant>.Settings,
        replicationTimeout: Duration, logger: Logger, whileLeading: @escaping @Sendable (PostgresMirror) async throws -> Void = { _ in }
    ) {
        self.whileLeading = whileLeading
        self.log = log
        self.url = url
        self.advertise = advertise
        self.settings = settings
        self.replicationTimeout = replicationTimeout
        self.logger = logger
    }

    /// Why this node does not take writes now; nil while it does.
    func notWriting() -> String? {
        do {
            _ = try leading()
            return nil
        } catch {
            return error.reason
        }
    }

    /// The mirror while this node leads.
    var mirror: PostgresMirror? { seat.withLock { $0.mirror } }

    /// The appender every write of this node goes through.
    var appender: SeatAppender { SeatAppender(seat: self) }

    /// The log's appender if this node takes writes now, else `StorageUnavailable`.
    fileprivate func leading() throws(StorageUnavailable) -> LogAppender {
        let now = clock.now
        return try seat.withLock { seat throws(StorageUnavailable) in
            guard let appender = seat.appender, let until = seat.validUntil, now < until else {
                throw StorageUnavailable(reason: seat.notWriting, retryAfter: 1)
            }
            return appender
        }
    }

    func run() async throws {
        let lease = WriterLease(url: url, holder: advertise, logger: logger)
        let source = PostgresEventSource(url: url, logger: logger)
        let polling = Task { try await source.run() }
        var following: Task<Void, any Error>? = Task { try await self.follow(source) }
        var promotion: Task<Void, Never>?
        defer {
            polling.cancel()
            following?.cancel()
            promotion?.cancel()
            seat.withLock { $0.mirroring?.cancel() }
        }
        var cycle = LeaseCycle(settings: settings, now: clock.now)
        var pending: [LeaseCycle<ContinuousClock.Instant>.Action] = []
        while !Task.isShuttingDownGracefully {
            if pending.isEmpty {
                if let failure = seat.withLock({ $0.failure }) {
                    pending = cycle.superseded(reason: failure)
                    if pending.isEmpty { break }
                } else {
                    pending = cycle.tick(now: clock.now)
                }
            }
            let action = pending.removeFirst()
            switch action {
            case .takeOver:
                let sent = clock.now
                do {
                    if let taken = try await lease.takeOver(for: settings.duration, lockTimeout: settings.renewInterval) {
                        pending += cycle.tookOver(epoch: taken.epoch, sentAt: sent)
                        logger.notice("took the writer lease", metadata: ["epoch": "\(taken.epoch)", "checkpoint": "\(taken.checkpoint)"])
                        // Leading starts once the log holds every event the table does.
                        let stopped = following
                        following = nil
                        promotion = Task {
                            stopped?.cancel()
                            _ = await stopped?.result
                            do {
                                try await self.promote(epoch: taken.epoch, checkpoint: taken.checkpoint, source: source)
                            } catch {
                                self.seat.withLock { $0.failure = "taking over failed: \(error)" }
                            }
                        }
                    } else {
                        cycle.held(now: clock.now)
                    }
                } catch {
                    logger.debug("taking the writer lease failed", metadata: ["error": "\(MirrorError.describe(error, target: url.redacted))"])
                    pending += cycle.failed(now: clock.now)
                }
            case .renew(let epoch):
                let sent = clock.now
                do {
                    if try await lease.renew(epoch: epoch, for: settings.duration) {
                        cycle.renewed(sentAt: sent)
                    } else {
                        pending += cycle.superseded(reason: "another node took the lease")
                    }
                } catch {
                    logger.warning("renewing the writer lease failed", metadata: ["error": "\(MirrorError.describe(error, target: url.redacted))"])
                    pending += cycle.failed(now: clock.now)
                }
            case .lead:
                break
            case .stepDown(let epoch, let reason):
                seat.withLock { seat in
                    seat.appender = nil
                    seat.validUntil = nil
                    seat.notWriting = "this node lost the writer lease (\(reason))"
                }
                promotion?.cancel()
                seat.withLock { $0.mirroring?.cancel() }
                logger.error(
                    "stepped down as the writer: it acknowledges and mirrors nothing more, and exits to rejoin as a standby writer",
                    metadata: ["epoch": "\(epoch)", "reason": "\(reason)"])
                // Not a graceful stop: its projections and snapshots hold appends no one acknowledged, and
                // nothing it would still do is worth a moment more. The log recovers as after a crash.
                exit(Self.leaseLostStatus)
            case .wait(let until):
                do {
                    try await cancelWhenGracefulShutdown { try await self.clock.sleep(until: until) }
                } catch {
                    break
                }
            }
            seat.withLock { $0.validUntil = cycle.validUntil }
        }
        // A graceful stop: no more writes here; the mirror finishes what the log holds, then the lease
        // is released so a standby need not wait for it to run out.
        let epoch = seat.withLock { seat in
            seat.appender = nil
            seat.notWriting = "this node is stopping"
            return seat.epoch
        }
        if let promotion { await promotion.value }
        if let mirroring = seat.withLock({ $0.mirroring }) { await mirroring.value }
        if let duties = seat.withLock({ $0.duties }) { await duties.value }
        if let epoch { try? await lease.release(epoch: epoch) }
        await lease.close()
    }

    /// Copies the table's new events into the log as they come, while another node writes.
    private func follow(_ source: PostgresEventSource) async throws {
        while try await source.waitForEvent(at: log.endPosition) {
            try await LogRestore.append(from: source, into: log, upTo: source.status.end, batchSize: Self.copyBatch)
        }
    }

    /// Makes this node the writer under `epoch`: the log gets every event below `checkpoint`, then the
    /// mirror fenced by the epoch starts and writes are taken.
    private func promote(epoch: Int64, checkpoint: UInt64, source: PostgresEventSource) async throws {
        try await LogRestore.append(from: source, into: log, upTo: checkpoint, batchSize: Self.copyBatch)
        guard log.endPosition == checkpoint else {
            throw MirrorError(.foreignEvents, "the log ends at \(log.endPosition) but the table's checkpoint is \(checkpoint): it holds events the table does not")
        }
        var configuration = PostgresMirror.Configuration()
        configuration.epoch = epoch
        configuration.idleInTransactionTimeout = settings.duration
        let mirror = PostgresMirror(log: log, url: url, configuration: configuration, logger: logger)
        seat.withLock { seat in
            seat.mirroring = Task { await self.mirror(mirror) }
            seat.duties = Task {
                do {
                    try await self.whileLeading(mirror)
                } catch {
                    self.logger.error("a writer's duty stopped", metadata: ["error": "\(error)"])
                }
            }
            seat.mirror = mirror
            seat.epoch = epoch
            seat.appender = LogAppender(log: log, replication: (mirror.mirrored, replicationTimeout))
        }
        logger.notice("taking writes as the writer", metadata: ["epoch": "\(epoch)", "position": "\(checkpoint)"])
    }

    /// Runs the fenced mirror; its end before a graceful stop is the lease lost (or worse).
    private func mirror(_ mirror: PostgresMirror) async {
        do {
            try await mirror.run()
        } catch {
            seat.withLock { $0.failure = "the mirror stopped: \(error)" }
        }
    }
}

/// The gateway's appender on a standby writer: the log's, under replicated durability, while the node
/// holds the lease; `StorageUnavailable` otherwise, so nothing is appended that no mirror will commit.
struct SeatAppender: EventAppender {
    let seat: WriterSeat

    func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try await seat.leading().append(envelope)
    }

    func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try await seat.leading().appendNew(envelope)
    }

    func append(contentsOf envelopes: [EventEnvelope]) async throws -> [UInt64] {
        try await seat.leading().append(contentsOf: envelopes)
    }

    func confirm(_ position: UInt64) async throws {
        try await seat.leading().confirm(position)
    }
}
