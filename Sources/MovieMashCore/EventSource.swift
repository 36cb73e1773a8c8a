import Foundation

/// Where events come from: the local log on the writer, or a copy of it (a standby's `events` table on
/// a replica). Everything derived from events reads them through this one seam, so projections, the
/// recommender, snapshots and replay run the same on any source.
///
/// - Important: A source shows only durable events, densely positioned from 0 and in position order;
///   an event once shown at a position never changes.
public protocol EventSource: Sendable {
    /// The position the next event will have: every position below it can be read.
    func endPosition() async throws -> UInt64
    /// Up to `limit` events from `position` on, in position order; fewer, or none, at the end.
    func events(from position: UInt64, limit: Int) async throws -> [EventEnvelope]
    /// Waits until an event exists at `position`. Returns false instead when the source closed first;
    /// throws `CancellationError` when the task is cancelled.
    func waitForEvent(at position: UInt64) async throws -> Bool
    /// The id of the event at `position`, nil past the end: a snapshot names its last event so that a
    /// snapshot of another log is recognised.
    func eventID(at position: UInt64) async throws -> UUID?
}
