import Foundation
import Logging
import MovieMashCore
import Synchronization

/// One projector kept current by the node's `ProjectionRuntime`: its published state, the signal of the
/// position it covers, its publishing pace and its snapshot cadence.
///
/// Readers take `current`, an immutable copy of the state and the position it covers; they never wait
/// for the projector and it never waits for them. Publishing shares the state's storage with readers, so
/// the next event applied copies it whole: a cell therefore publishes at most every `P.publishInterval`
/// while events flow, and its last events within that interval once they stop. Snapshots follow a
/// `SnapshotCadence` (checked when a publish comes).
public final class ProjectionCell<P: Projector>: Sendable {
    /// The state the runtime folds events into, apart from what readers hold.
    private struct Working: Sendable {
        var state: P
        /// The position after the last event applied (everything below it is in `state`).
        var position: UInt64
        var lastEventID: UUID?
        var pacing = PublishPacing<ContinuousClock.Instant>(interval: P.publishInterval, now: .now)
    }

    private let initial: P
    private let cadence: SnapshotCadence<P>
    private let working: Mutex<Working>
    @usableFromInline let published: Mutex<(state: P, position: UInt64)>
    /// The published position, for those who wait for it (a request that must see a write).
    public let reached = PositionSignal()
    private let reachedEnd = Mutex(false)

    public init(_ projector: P) {
        initial = projector
        cadence = SnapshotCadence()
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
        let position = await cadence.load(into: &state, from: snapshots, source: source, logger: logger)
        let start = (state, position)
        working.withLock { $0 = Working(state: state, position: position) }
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
        let (step, position) = working.withLock { ($0.pacing.step(unpublished: $0.position > publishedPosition, behind: !atEnd, now: now), $0.position) }
        let deadline = step.perform { publish(now: now, snapshots: snapshots, logger: logger) }
        if atEnd, position >= end, deadline == nil { reachedEnd.withLock { $0 = true } }
        return deadline
    }

    func finish(snapshots: SnapshotStore?, logger: Logger) async {
        let (state, position, id) = working.withLock { ($0.state, $0.position, $0.lastEventID) }
        published.withLock { $0 = (state, position) }
        reached.advance(to: position)
        reached.finish()
        await cadence.finish(state, at: position, lastEventID: id, snapshots: snapshots, logger: logger)
    }

    /// Publishes what is applied, and hands it to the snapshot cadence.
    private func publish(now: ContinuousClock.Instant, snapshots: SnapshotStore?, logger: Logger) {
        let (snapshot, id) = working.withLock { working -> ((state: P, position: UInt64), UUID?) in
            working.pacing.published(at: now)
            return ((working.state, working.position), working.lastEventID)
        }
        published.withLock { $0 = snapshot }
        reached.advance(to: snapshot.position)
        cadence.publishing(snapshot.state, at: snapshot.position, lastEventID: id, now: now, snapshots: snapshots, logger: logger)
    }
}
