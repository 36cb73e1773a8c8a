/// Where every writer appends events, beside `EventSource` where every reader reads them: the gateway,
/// the scrape service, `scrape` and `import` all go through one. Its implementation over the log
/// (`LogAppender`, EventStore) owns what a failed append means to a caller and when a write counts as
/// durable; only the log's own tools (`log restore`, `log append-sample`) write the log directly.
public protocol EventAppender: Sendable {
    /// Appends `envelope` and returns its position once durable under the log's fsync policy. An event
    /// whose id is already in the log is not written again; the position of the first is returned.
    func append(_ envelope: EventEnvelope) async throws -> UInt64
    /// Appends `envelope` unless an event with its id is in the log or on its way there: then nothing is
    /// written and the answer is nil. Otherwise its position once durable under the log's fsync policy.
    func appendNew(_ envelope: EventEnvelope) async throws -> UInt64?
    /// Appends `envelopes` in order as one batch (all or none); their positions once durable. Events whose
    /// ids are already in the log are not written again.
    func append(contentsOf envelopes: [EventEnvelope]) async throws -> [UInt64]
    /// Returns once the write at `position` counts as durable where the configured durability asks
    /// (nothing more with `local`; committed in PostgreSQL with `replicated`), else throws
    /// `ReplicationPending`. A write is acknowledged only after this.
    func confirm(_ position: UInt64) async throws
}

/// The appender cannot store events now (say the log's writer failed and is healing): nothing of the
/// request was stored, and the gateway answers `503 storage-unavailable` with `Retry-After`.
public struct StorageUnavailable: Error, Sendable, CustomStringConvertible {
    /// Why, for the operator's log; clients get a fixed explanation.
    public var reason: String
    /// Seconds a client should wait before trying again.
    public var retryAfter: Int
    /// The storage's own error, kept for whoever needs more than the reason.
    public var cause: (any Error & Sendable)?

    public init(reason: String, retryAfter: Int = 2, cause: (any Error & Sendable)? = nil) {
        self.reason = reason
        self.retryAfter = retryAfter
        self.cause = cause
    }

    public var description: String { "storage unavailable: \(reason)" }
}

/// The write is in the log but not yet confirmed where the configured durability asks (PostgreSQL and its
/// synchronous standby with `replicated`), so it is not acknowledged: the gateway answers `503
/// replication-pending`, and a retry with the same `Idempotency-Key` gets the answer once it is confirmed.
public struct ReplicationPending: Error, Sendable, CustomStringConvertible {
    /// The write's log position.
    public var position: UInt64
    public var retryAfter: Int

    public init(position: UInt64, retryAfter: Int = 2) {
        self.position = position
        self.retryAfter = retryAfter
    }

    public var description: String { "the event at \(position) is not yet confirmed replicated" }
}
