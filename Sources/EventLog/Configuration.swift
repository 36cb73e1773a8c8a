extension EventLog {
    /// When appended batches are made durable with `fdatasync`.
    public enum FsyncPolicy: Sendable, Hashable, CustomStringConvertible {
        /// Every batch is synced before any of its appends return (the default).
        case always
        /// Appends return once written to the operating system; a sync follows within this many milliseconds.
        /// A machine crash can lose acknowledged records of that window, a process crash cannot.
        case interval(milliseconds: Int)
        /// Never sync except at segment roll and close: for tests and benchmarks only.
        case never

        /// Parses `always`, `never` or `interval:MS` (MS > 0).
        public init?(_ text: String) {
            switch text {
            case "always": self = .always
            case "never": self = .never
            default:
                guard text.hasPrefix("interval:"), let milliseconds = Int(text.dropFirst(9)), milliseconds > 0 else { return nil }
                self = .interval(milliseconds: milliseconds)
            }
        }

        public var description: String {
            switch self {
            case .always: "always"
            case .interval(let milliseconds): "interval(\(milliseconds)ms)"
            case .never: "never"
            }
        }
    }

    /// Whether the log may be written.
    public enum Mode: Sendable {
        case readWrite
        case readOnly
    }

    /// Settings of a log; the defaults suit production.
    public struct Configuration: Sendable {
        /// A segment is sealed and a new one started once it reaches this many bytes.
        public var segmentSize: Int64 = 128 << 20
        public var fsync: FsyncPolicy = .always
        /// Bytes of segment between sparse index entries.
        public var indexInterval: Int64 = 4096
        /// Bytes of recently written records that prime a new segment's LZ4 dictionary (0 turns it off).
        public var dictionaryLength = 16 << 10
        /// Upper bounds of one write round (group commit): records and uncompressed bytes.
        public var maximumBatchRecords = 4096
        public var maximumBatchBytes = 4 << 20
        /// The largest payload one record may carry.
        public var maximumRecordBytes = 1 << 20
        /// Appends are refused (the writer fails with `belowReserve`, and heals once there is room again)
        /// while the log's file system has less free space than this, so that segment rolls, indexes and
        /// snapshots never meet a full disk.
        public var minimumFreeBytes: Int64 = 64 << 20
        /// Failures to inject into writes and syncs: for tests of the healing paths; nil in production.
        public var faults: FaultInjection?
        /// The clock the writer schedules interval syncs by.
        public var clock: WriterClock = .continuous

        public init() {}
    }
}

/// The clock the log's writer reads and sleeps by: the continuous clock, or a test's that moves by hand
/// (its instants are mapped onto the continuous clock's, which the writer's state machine is typed by).
public struct WriterClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant
    public var sleep: @Sendable (_ until: ContinuousClock.Instant) async throws -> Void

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant, sleep: @escaping @Sendable (_ until: ContinuousClock.Instant) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let continuous = WriterClock(now: { .now }, sleep: { try await Task.sleep(until: $0) })
}
