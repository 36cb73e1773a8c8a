import EventLog
import Foundation
import Logging
import MovieMashCore
import ServiceLifecycle
import Synchronization

/// Keeps one projector current: loads its snapshot, replays the rest of the log, then follows new events.
///
/// Readers take `current`, an immutable copy of the state and the position it covers; they never wait
/// for the projector and it never waits for them. Publishing shares the state's storage with readers, so
/// the next event applied copies it whole: the copy is therefore published at most every
/// `publishInterval`, while catching up and while following a busy log alike (the last events before a
/// pause are published within `publishInterval`). Snapshots are written every `snapshotEvery` events and at shutdown.
public final class ProjectorService<P: Projector>: Service, Sendable {
    public struct Configuration: Sendable {
        public var snapshotEvery: UInt64 = 100_000
        public var publishInterval: Duration = .milliseconds(50)
        public var pollInterval: Duration = .milliseconds(50)
        public var chunk = 4096

        public init() {}
    }

    private let log: EventLog
    private let snapshots: SnapshotStore?
    private let configuration: Configuration
    private let logger: Logger
    private let initial: P
    @usableFromInline let published: Mutex<(state: P, position: UInt64)>

    public init(
        _ projector: P, log: EventLog, snapshots: SnapshotStore?, configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.initial = projector
        self.log = log
        self.snapshots = snapshots
        self.configuration = configuration
        self.logger = logger
        published = Mutex((projector, 0))
    }

    /// The latest published state and the log position it covers (every event below it is applied).
    // Inlinable: readers in other modules (every request reads several) would otherwise run it
    // unspecialized, looking up the metadata of its tuple at run time.
    @inlinable public var current: (state: P, position: UInt64) { published.withLock { $0 } }

    public func run() async throws {
        var state = initial
        var position: UInt64 = 0
        if let snapshots {
            let loaded = snapshots.load(into: &state, log: log)
            position = loaded.position
            if let reason = loaded.ignored {
                logger.notice("ignoring the \(P.name) snapshot: \(reason); rebuilding from the log")
            }
        }
        published.withLock { $0 = (state, position) }
        var lastSnapshot = position
        var lastEventID: UUID?
        let reader = log.reader(from: position)
        var pacing = PublishPacing(interval: configuration.publishInterval)
        following: while !Task.isCancelled {
            var applied = 0
            while applied < configuration.chunk, let stored = try reader.next() {
                state.apply(try EventEnvelope(stored))
                lastEventID = stored.record.id
                position = stored.position + 1
                applied += 1
            }
            let caughtUp = applied < configuration.chunk
            switch pacing.step(applied: applied, caughtUp: caughtUp) {
            case .gather(let wait):
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                } catch is CancellationError {
                    break following
                }
                continue following
            case .publish:
                let snapshot = (state, position)
                published.withLock { $0 = snapshot }
                pacing.published()
            case .keepApplying:
                break
            }
            if let snapshots, let id = lastEventID, position - lastSnapshot >= configuration.snapshotEvery {
                try snapshots.write(state, position: position, lastEventID: id)
                lastSnapshot = position
            }
            if caughtUp {
                let (log, next, poll) = (self.log, position, configuration.pollInterval)
                do {
                    guard try await cancelWhenGracefulShutdown({ try await log.waitForRecord(at: next, pollInterval: poll) })
                    else { break following }
                } catch is CancellationError {
                    break following
                }
            }
        }
        published.withLock { $0 = (state, position) }
        if let snapshots, let id = lastEventID, position > lastSnapshot {
            try snapshots.write(state, position: position, lastEventID: id)
        }
    }
}
