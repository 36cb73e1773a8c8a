import EventLog
import Gateway
import MovieMashCore
import Projections

/// The gateway's writes, into the event log.
struct LogAppender: EventAppender {
    let log: EventLog

    func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try await log.append(LogRecord(envelope))
    }

    func event(at position: UInt64) async throws -> EventEnvelope? {
        try log.read(from: position, limit: 1).first.map { try EventEnvelope($0) }
    }
}
