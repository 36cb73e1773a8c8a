import EventLog
import Foundation
import Gateway
import MovieMashCore
import Projections

/// The gateway's writes, into the event log.
struct LogAppender: EventAppender {
    let log: EventLog

    func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try await log.append(LogRecord(envelope))
    }

    func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try await log.appendNew(LogRecord(envelope))
    }
}
