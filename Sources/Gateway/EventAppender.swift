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
