import Foundation
import Logging
import MovieMashCore
import Recommender
import ServiceLifecycle
import Synchronization

/// Keeps one projector current: loads its snapshot, replays the rest of the events, then follows new ones.
///
/// Readers take `current`, an immutable copy of the state and the position it covers; they never wait
/// for the projector and it never waits for them. Publishing shares the state's storage with readers, so
/// the next event applied copies it whole: the `EventFollower` therefore publishes at most every
/// `publishInterval`, while catching up and while following a busy source alike. Snapshots are written
/// every `snapshotEvery` events (when a publish comes), on a thread of their own, and at shutdown.
public final class ProjectorService<P: Projector>: Service, Sendable {
    public struct Configuration: Sendable {
        public var snapshotEvery: UInt64 = 100_000
        public var following = EventFollower.Configuration()

        /// Publishing every `P.publishInterval`.
        public init() {
            following.publishInterval = P.publishInterval
        }
    }

    private let source: any EventSource
    private let snapshots: SnapshotStore?
    private let configuration: Configuration
    private let logger: Logger
    private let initial: P
    @usableFromInline let published: Mutex<(state: P, position: UInt64)>
    /// The published position, for those who wait for it (a request that must see a write).
    public let reached = PositionSignal()
    private let reachedEnd = Mutex(false)
    private let snapshotWriting = Atomic(false)
    private let snapshotFailing = Mutex(false)

    /// Whether a published state has reached the source's end since the start: before that, the state
    /// is still being caught up (from the snapshot or from nothing).
    public var hasCaughtUp: Bool { reachedEnd.withLock { $0 } }

    public init(
        _ projector: P, source: any EventSource, snapshots: SnapshotStore?, configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.initial = projector
        self.source = source
        self.snapshots = snapshots
        self.configuration = configuration
        self.logger = logger
        published = Mutex((projector, 0))
    }

    /// The latest published state and the position it covers (every event below it is applied).
    // Inlinable: readers in other modules (every request reads several) would otherwise run it
    // unspecialized, looking up the metadata of its tuple at run time.
    @inlinable public var current: (state: P, position: UInt64) { published.withLock { $0 } }

    public func run() async throws {
        var state = initial
        var position: UInt64 = 0
        if let snapshots {
            let loaded = await snapshots.load(into: &state, source: source)
            position = loaded.position
            if let reason = loaded.ignored {
                logger.notice("ignoring the \(P.name) snapshot: \(reason); rebuilding from the events")
            }
        }
        published.withLock { $0 = (state, position) }
        reached.advance(to: position)
        var lastSnapshot = position
        var lastEventID: UUID?
        var snapshotting: Task<Void, Never>?
        let follower = EventFollower(source: source, configuration: configuration.following)
        position = try await follower.follow(
            from: position,
            apply: { event, _ in
                state.apply(event)
                lastEventID = event.eventID
            },
            publish: { covered in
                let snapshot = (state, covered)
                published.withLock { $0 = snapshot }
                reached.advance(to: covered)
                // One write at a time: while one is still running, this one is left to the next publish.
                if let id = lastEventID, covered - lastSnapshot >= configuration.snapshotEvery,
                   snapshotWriting.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
                    lastSnapshot = covered
                    let copy = state
                    snapshotting = Task {
                        await self.writeSnapshot(copy, at: covered, lastEventID: id, priority: .low)
                        self.snapshotWriting.store(false, ordering: .releasing)
                    }
                }
            },
            caughtUp: { _ in self.reachedEnd.withLock { $0 = true } })
        let final = (state, position)
        published.withLock { $0 = final }
        reached.advance(to: position)
        reached.finish()
        await snapshotting?.value
        if let id = lastEventID, position > lastSnapshot { await writeSnapshot(state, at: position, lastEventID: id, priority: .normal) }
    }

    /// Writes `state`'s snapshot on a thread of its own: encoding and syncing a large state held a thread
    /// of the cooperative pool (one per core) for tens of milliseconds, and requests waited behind it.
    ///
    /// A snapshot only saves replay time, so failing to write one (a full disk) must not stop the
    /// projection: it is logged once, tried again after the next `snapshotEvery` events, and its success
    /// after failures is logged too.
    private func writeSnapshot(_ state: P, at covered: UInt64, lastEventID id: UUID, priority: BackgroundThreads.Priority) async {
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
