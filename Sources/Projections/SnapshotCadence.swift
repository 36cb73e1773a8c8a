import Foundation
import Logging
import MovieMashCore
import Recommender
import Synchronization

/// When and how a projection cell writes its snapshots: as its `SnapshotStore` says (by count or by age),
/// one write at a time on a thread of its own, and a last one at shutdown.
///
/// A snapshot only saves replay time, so failing to write one (a full disk) must not stop the
/// projection: it is logged once, tried again at the next due time, and its success after failures is
/// logged too.
final class SnapshotCadence<P: Projector>: Sendable {
    private struct Last {
        var position: UInt64
        var at: ContinuousClock.Instant
    }

    private let last: Mutex<Last>
    private let writing = Atomic(false)
    private let failing = Mutex(false)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init() {
        last = Mutex(Last(position: 0, at: .now))
    }

    /// Loads `state`'s snapshot from `snapshots`, if there is a usable one (a snapshot of another version,
    /// configuration or log is logged and left), and returns the position it covers (0 without one);
    /// the next snapshot is due from there.
    func load(into state: inout P, from snapshots: SnapshotStore?, source: any EventSource, logger: Logger) async -> UInt64 {
        var position: UInt64 = 0
        if let snapshots {
            let loaded = await snapshots.load(into: &state, source: source)
            position = loaded.position
            if let reason = loaded.ignored { logger.notice("ignoring the \(P.name) snapshot: \(reason); rebuilding from the events") }
        }
        loaded(at: position, now: .now)
        return position
    }

    /// The state loaded at start covers `position`: the next snapshot is due from there.
    func loaded(at position: UInt64, now: ContinuousClock.Instant) {
        last.withLock { $0 = Last(position: position, at: now) }
    }

    /// Starts writing `state` (covering `position`) when a snapshot is due and none is being written.
    func publishing(_ state: P, at position: UInt64, lastEventID id: UUID?, now: ContinuousClock.Instant, snapshots: SnapshotStore?, logger: Logger) {
        guard let snapshots, let id else { return }
        let due = last.withLock { snapshots.isDue(position: position, last: $0.position, lastAt: $0.at, now: now) }
        guard due, writing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        last.withLock { $0 = Last(position: position, at: now) }
        task.withLock {
            $0 = Task {
                await self.write(state, at: position, lastEventID: id, priority: .low, snapshots: snapshots, logger: logger)
                self.writing.store(false, ordering: .releasing)
            }
        }
    }

    /// Waits for a write under way, then writes `state` if it covers more than the last snapshot.
    func finish(_ state: P, at position: UInt64, lastEventID id: UUID?, snapshots: SnapshotStore?, logger: Logger) async {
        await task.withLock { $0 }?.value
        guard let snapshots, let id, position > last.withLock({ $0.position }) else { return }
        await write(state, at: position, lastEventID: id, priority: .normal, snapshots: snapshots, logger: logger)
    }

    /// Writes on a thread of its own: encoding and syncing a large state held a thread of the cooperative
    /// pool (one per core) for tens of milliseconds, and requests waited behind it.
    private func write(
        _ state: P, at covered: UInt64, lastEventID id: UUID, priority: BackgroundThreads.Priority, snapshots: SnapshotStore, logger: Logger
    ) async {
        let failure = await BackgroundThreads.value(priority: priority, name: "mm-snapshot") { () -> String? in
            do {
                try snapshots.write(state, position: covered, lastEventID: id)
                return nil
            } catch {
                return "\(error)"
            }
        }
        failing.withLock { failing in
            if let failure {
                if !failing { logger.warning("cannot write a snapshot; the projection goes on without", metadata: ["projector": "\(P.name)", "error": "\(failure)"]) }
            } else if failing {
                logger.notice("snapshots are written again", metadata: ["projector": "\(P.name)", "position": "\(covered)"])
            }
            failing = failure != nil
        }
    }
}
