import Foundation
import Logging
import MovieMashCore
import Recommender
import Synchronization

/// One projector kept current by the node's `ProjectionRuntime`: its published state, the signal of the
/// position it covers, its publishing pace and its snapshot cadence.
///
/// Readers take `current`, an immutable copy of the state and the position it covers; they never wait
/// for the projector and it never waits for them. Publishing shares the state's storage with readers, so
/// the next event applied copies it whole: a cell therefore publishes at most every `P.publishInterval`
/// while events flow, and its last events within that interval once they stop. Snapshots are written
/// every `snapshotEvery` events (when a publish comes), on a thread of their own, and at shutdown.
public final class ProjectionCell<P: Projector>: Sendable {
    /// The state the runtime folds events into, apart from what readers hold.
    private struct Working: Sendable {
        var state: P
        /// The position after the last event applied (everything below it is in `state`).
        var position: UInt64
        var lastEventID: UUID?
        var pacing = PublishPacing<ContinuousClock.Instant>(interval: P.publishInterval, now: .now)
        var lastSnapshot: UInt64 = 0
    }

    private let initial: P
    private let snapshotEvery: UInt64
    private let working: Mutex<Working>
    @usableFromInline let published: Mutex<(state: P, position: UInt64)>
    /// The published position, for those who wait for it (a request that must see a write).
    public let reached = PositionSignal()
    private let reachedEnd = Mutex(false)
    private let snapshotWriting = Atomic(false)
    private let snapshotFailing = Mutex(false)
    private let snapshotting = Mutex<Task<Void, Never>?>(nil)

    /// `snapshotEvery`: events between two snapshots while the node runs (one is written at shutdown too).
    public init(_ projector: P, snapshotEvery: UInt64 = 100_000) {
        initial = projector
        self.snapshotEvery = snapshotEvery
        working = Mutex(Working(state: projector, position: 0))
        published = Mutex((projector, 0))
    }

    /// The latest published state and the position it covers (every event below it is applied).
    // Inlinable: readers in other modules (every request reads several) would otherwise run it
    // unspecialized, looking up the metadata of its tuple at run time.
    @inlinable public var current: (state: P, position: UInt64) { published.withLock { $0 } }

    /// Whether a published state has reached the source's end since the start: before that, the state
    /// is still being caught up (from the snapshot or from nothing).
    public var hasCaughtUp: Bool { reachedEnd.withLock { $0 } }
}

extension ProjectionCell: RuntimeCell {
    var name: String { P.name }
    var applied: any Projector { working.withLock { $0.state } }
    var appliedPosition: UInt64 { working.withLock { $0.position } }

    func load(from snapshots: SnapshotStore?, source: any EventSource, logger: Logger) async -> UInt64 {
        var state = initial
        var position: UInt64 = 0
        if let snapshots {
            let loaded = await snapshots.load(into: &state, source: source)
            position = loaded.position
            if let reason = loaded.ignored { logger.notice("ignoring the \(P.name) snapshot: \(reason); rebuilding from the events") }
        }
        let start = (state, position)
        working.withLock { $0 = Working(state: state, position: position, lastSnapshot: position) }
        published.withLock { $0 = start }
        reached.advance(to: position)
        return position
    }

    func apply(_ events: ArraySlice<(event: EventEnvelope, after: UInt64)>) {
        working.withLock { working in
            for (event, after) in events where after > working.position {
                working.state.apply(event)
                working.position = after
                working.lastEventID = event.eventID
            }
        }
    }

    func pace(now: ContinuousClock.Instant, end: UInt64, atEnd: Bool, snapshots: SnapshotStore?, logger: Logger) -> ContinuousClock.Instant? {
        let publishedPosition = published.withLock { $0.position }
        let (step, position) = working.withLock { ($0.pacing.step(unpublished: $0.position > publishedPosition, now: now), $0.position) }
        let deadline = step.perform { publish(now: now, snapshots: snapshots, logger: logger) }
        if atEnd, position >= end, deadline == nil { reachedEnd.withLock { $0 = true } }
        return deadline
    }

    func finish(snapshots: SnapshotStore?, logger: Logger) async {
        let (state, position, id, lastSnapshot) = working.withLock { ($0.state, $0.position, $0.lastEventID, $0.lastSnapshot) }
        published.withLock { $0 = (state, position) }
        reached.advance(to: position)
        reached.finish()
        await snapshotting.withLock { $0 }?.value
        if let id, position > lastSnapshot { await writeSnapshot(state, at: position, lastEventID: id, priority: .normal, snapshots: snapshots, logger: logger) }
    }

    /// Publishes what is applied, and starts a snapshot when `snapshotEvery` events have passed since the
    /// last one (one write at a time: while one still runs, this one is left to the next publish).
    private func publish(now: ContinuousClock.Instant, snapshots: SnapshotStore?, logger: Logger) {
        let (snapshot, id, startSnapshot) = working.withLock { working -> ((state: P, position: UInt64), UUID?, Bool) in
            working.pacing.published(at: now)
            let take = working.lastEventID != nil && working.position - working.lastSnapshot >= snapshotEvery
                && snapshots != nil && snapshotWriting.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
            if take { working.lastSnapshot = working.position }
            return ((working.state, working.position), working.lastEventID, take)
        }
        published.withLock { $0 = snapshot }
        reached.advance(to: snapshot.position)
        if startSnapshot, let id {
            snapshotting.withLock {
                $0 = Task {
                    await self.writeSnapshot(snapshot.state, at: snapshot.position, lastEventID: id, priority: .low, snapshots: snapshots, logger: logger)
                    self.snapshotWriting.store(false, ordering: .releasing)
                }
            }
        }
    }

    /// Writes `state`'s snapshot on a thread of its own: encoding and syncing a large state held a thread
    /// of the cooperative pool (one per core) for tens of milliseconds, and requests waited behind it.
    ///
    /// A snapshot only saves replay time, so failing to write one (a full disk) must not stop the
    /// projection: it is logged once, tried again after the next `snapshotEvery` events, and its success
    /// after failures is logged too.
    private func writeSnapshot(
        _ state: P, at covered: UInt64, lastEventID id: UUID, priority: BackgroundThreads.Priority, snapshots: SnapshotStore?, logger: Logger
    ) async {
        guard let snapshots else { return }
        let failure = await BackgroundThreads.value(priority: priority, name: "mm-snapshot") { () -> String? in
            do {
                try snapshots.write(state, position: covered, lastEventID: id)
                return nil
            } catch {
                return "\(error)"
            }
        }
        snapshotFailing.withLock { failing in
            if let failure {
                if !failing { logger.warning("cannot write a snapshot; the projection goes on without", metadata: ["projector": "\(P.name)", "error": "\(failure)"]) }
            } else if failing {
                logger.notice("snapshots are written again", metadata: ["projector": "\(P.name)", "position": "\(covered)"])
            }
            failing = failure != nil
        }
    }
}
