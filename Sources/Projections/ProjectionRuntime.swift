import Logging
import MovieMashCore
import ServiceLifecycle

/// What the runtime asks of each projection cell (`ProjectionCell`), whatever its projector.
protocol RuntimeCell: AnyObject, Sendable {
    var name: String { get }
    var reached: PositionSignal { get }
    var hasCaughtUp: Bool { get }
    /// Loads the cell's snapshot (or starts from nothing), publishes it, and returns the position it covers.
    func load(from snapshots: SnapshotStore?, source: any EventSource, logger: Logger) async -> UInt64
    /// The state with every event applied so far, published or not, and the position after them (replay
    /// reads them).
    var applied: any Projector { get }
    var appliedPosition: UInt64 { get }
    /// Folds the events the cell has not applied yet (each with the position after it).
    func apply(_ events: ArraySlice<(event: EventEnvelope, after: UInt64)>)
    /// Publishes when the cell's pace allows; otherwise the instant it will (nil: nothing waits).
    /// `atEnd`: the source held nothing beyond `end`.
    func pace(now: ContinuousClock.Instant, end: UInt64, atEnd: Bool, snapshots: SnapshotStore?, logger: Logger) -> ContinuousClock.Instant?
    /// Publishes everything applied and writes the last snapshot.
    func finish(snapshots: SnapshotStore?, logger: Logger) async
}

/// The node's one follow loop: ONE reader follows the node's `EventSource`, each event is decoded once,
/// and every chunk is handed to every projection cell, which publishes at its own pace.
///
/// Cells apply a chunk one after another, or in parallel when it is large and `parallelFrom` allows;
/// either way each cell applies the same events in log order, so the same prefix gives the same state,
/// bit for bit. A cell loaded from
/// a later snapshot skips what it already holds.
public final class ProjectionRuntime: Service, Sendable {
    public struct Configuration: Sendable {
        /// Events read per round.
        public var chunk = 4096
        /// Chunks at least this long are applied by the cells in parallel; nil: never. Off by default: on
        /// two cores a node catching up also fits the leaderboards and trains the recommender, so parallel
        /// cells reached `/ready` no sooner at 1M votes, and each thread's allocations held more memory.
        public var parallelFrom: Int?

        public init() {}
    }

    private let follower: EventFollower
    private let cells: [any RuntimeCell]
    private let snapshots: SnapshotStore?
    private let configuration: Configuration
    private let logger: Logger
    private var source: any EventSource { follower.source }

    /// `cells` are `ProjectionCell`s, one registration each; `recommender` keeps its interactions as a
    /// cell of the same loop.
    public convenience init<each P: Projector>(
        source: any EventSource, cells: repeat ProjectionCell<each P>, recommender: RecommenderService? = nil, snapshots: SnapshotStore?,
        configuration: Configuration = Configuration(), logger: Logger
    ) {
        var all: [any RuntimeCell] = []
        for cell in repeat each cells { all.append(cell) }
        if let recommender { all.append(recommender) }
        self.init(source: source, cells: all, snapshots: snapshots, configuration: configuration, logger: logger)
    }

    init(source: any EventSource, cells: [any RuntimeCell], snapshots: SnapshotStore?, configuration: Configuration, logger: Logger) {
        var following = EventFollower.Configuration()
        following.chunk = configuration.chunk
        follower = EventFollower(source: source, configuration: following)
        self.cells = cells
        self.snapshots = snapshots
        self.configuration = configuration
        self.logger = logger
    }

    /// Each cell by projector name with the signal of the position it has published.
    public var published: [(name: String, reached: PositionSignal)] { cells.map { ($0.name, $0.reached) } }

    /// Whether every cell has published the source's end since the start.
    public var hasCaughtUp: Bool { cells.allSatisfy(\.hasCaughtUp) }

    public func run() async throws {
        var starts: [UInt64] = []
        for cell in cells { starts.append(await cell.load(from: snapshots, source: source, logger: logger)) }
        var position = starts.min() ?? 0
        logger.info("projections resume", metadata: ["from": "\(position)", "snapshots": "\(snapshots?.directory ?? "none")"])
        do {
            try await follow(from: &position)
        } catch {
            for cell in cells { await cell.finish(snapshots: snapshots, logger: logger) }
            throw error
        }
        for cell in cells { await cell.finish(snapshots: snapshots, logger: logger) }
    }

    /// Replay's pass: applies the source's events from the least position a cell holds up to `end`
    /// (exclusive), publishing nothing, and returns the position reached (less than `end` only when the
    /// source holds fewer events). `progress` hears the position after each chunk.
    func rebuild(to end: UInt64, progress: (UInt64) -> Void) async throws -> UInt64 {
        let start = cells.map(\.appliedPosition).min() ?? 0
        return try await follower.read(from: start, to: end) { chunk in
            for cell in cells { cell.apply(chunk) }
            progress(chunk.last!.after)
        }
    }

    private func follow(from position: inout UInt64) async throws {
        position = try await follower.follow(
            from: position,
            apply: { chunk in await apply(chunk) },
            settle: { position, atEnd in
                let now = ContinuousClock.now
                var deadline: ContinuousClock.Instant?
                for cell in cells {
                    if let next = cell.pace(now: now, end: position, atEnd: atEnd, snapshots: snapshots, logger: logger) {
                        deadline = min(deadline ?? next, next)
                    }
                }
                return deadline
            })
    }

    private func apply(_ chunk: ArraySlice<(event: EventEnvelope, after: UInt64)>) async {
        guard let parallelFrom = configuration.parallelFrom, chunk.count >= parallelFrom, cells.count > 1 else {
            for cell in cells { cell.apply(chunk) }
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for cell in cells { group.addTask { cell.apply(chunk) } }
        }
    }
}
