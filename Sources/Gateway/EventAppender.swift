import Foundation
import MovieMashCore

/// Where the gateway writes: the server wires this to the event log.
public protocol EventAppender: Sendable {
    /// Appends `envelope` and returns its position once durable under the log's fsync policy. An event
    /// whose id is already in the log is not written again; the position of the first is returned.
    func append(_ envelope: EventEnvelope) async throws -> UInt64
    /// Whether an event with this id is in the log or on its way there.
    func contains(eventID: UUID) async -> Bool
}
