import Foundation
import MovieMashCore

/// Where the gateway writes: the server wires this to the event log.
public protocol EventAppender: Sendable {
    /// Appends `envelope` and returns its position once durable under the log's fsync policy. An event
    /// whose id is already in the log is not written again; the position of the first is returned.
    func append(_ envelope: EventEnvelope) async throws -> UInt64
    /// Appends `envelope` unless an event with its id is in the log or on its way there: then nothing is
    /// written and the answer is nil. Otherwise its position once durable under the log's fsync policy.
    func appendNew(_ envelope: EventEnvelope) async throws -> UInt64?
}

/// The appender cannot store events now (say the log's writer failed and is healing): nothing of the
/// request was stored, and the gateway answers `503 storage-unavailable` with `Retry-After`.
public struct StorageUnavailable: Error, Sendable, CustomStringConvertible {
    /// Why, for the operator's log; clients get a fixed explanation.
    public var reason: String
    /// Seconds a client should wait before trying again.
    public var retryAfter: Int

    public init(reason: String, retryAfter: Int = 2) {
        self.reason = reason
        self.retryAfter = retryAfter
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
