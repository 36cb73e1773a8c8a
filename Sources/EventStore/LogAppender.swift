import EventLog
import MovieMashCore

/// The one `EventAppender` over the event log: appends are durable under the log's fsync policy, a log
/// that cannot take appends now is `StorageUnavailable` (with the log's error as its cause), and with
/// `replication` a write is confirmed only once its position is where that signal says (the PostgreSQL
/// mirror's, for `--durability replicated`) within the timeout.
public struct LogAppender: EventAppender {
    public let log: EventLog
    /// What confirms a write beyond the log, and how long a write waits for it; nil: the log alone.
    public var replication: (confirmed: PositionSignal, timeout: Duration)?

    public init(log: EventLog, replication: (confirmed: PositionSignal, timeout: Duration)? = nil) {
        self.log = log
        self.replication = replication
    }

    public func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try await storing { try await log.append(LogRecord(envelope)) }
    }

    public func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try await storing { try await log.appendNew(LogRecord(envelope)) }
    }

    public func append(contentsOf envelopes: [EventEnvelope]) async throws -> [UInt64] {
        try await storing { try await log.append(contentsOf: envelopes.map(LogRecord.init)) }
    }

    public func confirm(_ position: UInt64) async throws {
        guard let replication else { return }
        guard await PositionSignal.wait(for: [replication.confirmed], until: position + 1, within: replication.timeout) else {
            throw ReplicationPending(position: position)
        }
    }

    /// A log that cannot take appends now (failed and healing, closing, read-only) is storage being
    /// unavailable, which the gateway answers with 503 and `Retry-After`; nothing of the request is stored.
    private func storing<Value>(_ append: () async throws -> Value) async throws -> Value {
        do {
            return try await append()
        } catch let error as EventLogError where [.writerFailed, .closed, .readOnly].contains(error.code) {
            throw StorageUnavailable(reason: "\(error)", cause: error)
        }
    }
}
