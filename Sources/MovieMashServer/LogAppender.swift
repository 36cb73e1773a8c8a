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
        try await storing { try await log.append(LogRecord(envelope)) }
    }

    public func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try await storing { try await log.appendNew(LogRecord(envelope)) }
    }

    /// A log that cannot take appends now (failed and healing, closing, read-only) is storage being
    /// unavailable, which the gateway answers with 503 and `Retry-After`; nothing of the request is stored.
    private func storing<Value>(_ append: () async throws -> Value) async throws -> Value {
        do {
            return try await append()
        } catch let error as EventLogError where [.writerFailed, .closed, .readOnly].contains(error.code) {
            throw StorageUnavailable(reason: "\(error)")
        }
    }
}
