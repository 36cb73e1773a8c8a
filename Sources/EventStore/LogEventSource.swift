import EventLog
import Foundation
import MovieMashCore

/// The local event log as an `EventSource`: the writer's own log, or (read-only) a log another process
/// writes, picked up every `pollInterval`.
public struct LogEventSource: EventSource {
    public let log: EventLog
    public let pollInterval: Duration

    public init(_ log: EventLog, pollInterval: Duration = .milliseconds(50)) {
        self.log = log
        self.pollInterval = pollInterval
    }

    public func endPosition() -> UInt64 { log.endPosition }

    public func events(from position: UInt64, limit: Int) throws -> [EventEnvelope] {
        let reader = log.reader(from: position)
        var events: [EventEnvelope] = []
        events.reserveCapacity(min(limit, 4096))
        _ = try reader.visit(limit: limit) { events.append(try EventEnvelope($0)) }
        return events
    }

    public func waitForEvent(at position: UInt64) async throws -> Bool {
        try await log.waitForRecord(at: position, pollInterval: pollInterval)
    }

    public func eventID(at position: UInt64) throws -> UUID? {
        try log.read(from: position, limit: 1).first?.record.id
    }
}
