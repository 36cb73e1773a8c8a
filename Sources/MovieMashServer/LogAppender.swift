import EventLog
import Foundation
import Gateway
import MovieMashCore
import EventStore

/// The gateway's writes, into the event log.
public struct LogAppender: EventAppender {
    public let log: EventLog

    public init(log: EventLog) {
        self.log = log
    }

    public func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try await log.append(LogRecord(envelope))
    }

    public func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try await log.appendNew(LogRecord(envelope))
    }
}
