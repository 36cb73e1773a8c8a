import EventLog
import Logging
import ServiceLifecycle

/// The open log as the first service of a node: it starts before everything that reads or appends, and
/// because a service group shuts down in reverse order, it flushes and closes the log after all of them
/// have stopped. Nothing else closes the log.
public struct LogService: Service {
    public let log: EventLog
    let logger: Logger

    public init(log: EventLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    public func run() async throws {
        // Cancellation (another service failed) ends the wait too: the log still closes.
        try? await gracefulShutdown()
        try await log.close()
        logger.info("the log is flushed and closed", metadata: ["events": "\(log.endPosition)"])
    }
}
