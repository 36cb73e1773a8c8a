import MovieMashCore

/// Where the gateway writes: the server wires this to the event log.
public protocol EventAppender: Sendable {
    /// Appends `envelope` and returns its position once durable under the log's fsync policy. An event
    /// whose id is already in the log is not written again; the position of the first is returned.
    func append(_ envelope: EventEnvelope) async throws -> UInt64
    /// The event at `position`, if there is one.
    func event(at position: UInt64) async throws -> EventEnvelope?
}
