import EventLog
import Logging
import MovieMashCore
import ServiceLifecycle

/// The open log as the first service of a node: it starts before everything that reads or appends, and
/// because a service group shuts down in reverse order, it flushes and closes the log after all of them
/// have stopped. Nothing else closes the log.
///
/// While it runs it heals the writer: after a failed write or sync, or with free space below the reserve,
/// it retries `EventLog.heal()` with capped backoff until appends are taken again, logging the outage
/// once when it starts (again only if the reason changes) and once when it ends.
public struct LogService: Service {
    public let log: EventLog
    let logger: Logger
    let backoff: Backoff

    public init(log: EventLog, logger: Logger, backoff: Backoff = Backoff(base: .milliseconds(200), cap: .seconds(5))) {
        self.log = log
        self.logger = logger
        self.backoff = backoff
    }

    public func run() async throws {
        // Cancellation (another service failed) ends the healing too: the log still closes.
        try? await cancelWhenGracefulShutdown {
            try await self.healWhileFailed()
            // A read-only log has no writer to heal: it still stays open until the end.
            try await gracefulShutdown()
        }
        try await log.close()
        logger.info("the log is flushed and closed", metadata: ["events": "\(log.endPosition)"])
    }

    private func healWhileFailed() async throws {
        var backoff = self.backoff
        var random = SystemRandomNumberGenerator()
        var outage: EventLogError?
        for await status in log.writerStatusChanges() {
            switch status {
            case .failed(let reason):
                if outage.map({ !Self.sameFault($0, reason) }) ?? true {
                    logger.error("the log refuses appends; healing in the background", metadata: [
                        "error": "\(reason)", "failures": "\(log.writerFailures)",
                    ])
                    outage = reason
                }
                try await Task.sleep(for: backoff.next(using: &random))
                // A heal that fails shows as the next status.
                try? await log.heal()
            case .up:
                if let outage {
                    logger.notice("the log takes appends again", metadata: ["after": "\(outage)", "events": "\(log.endPosition)"])
                }
                outage = nil
                backoff.reset()
            case .healing, .closed, .readOnly:
                continue
            }
        }
    }

    /// The same outage: the innermost cause has the same code and errno (offsets and messages may differ).
    static func sameFault(_ left: EventLogError, _ right: EventLogError) -> Bool {
        func root(_ error: EventLogError) -> EventLogError {
            var error = error
            while let cause = error.cause as? EventLogError { error = cause }
            return error
        }
        let (a, b) = (root(left), root(right))
        return a.code == b.code && a.errno == b.errno
    }
}
