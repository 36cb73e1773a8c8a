import ArgumentParser
import Foundation
import Logging
import MovieMashServer

/// `--log-level`, else `MOVIEMASH_LOG_LEVEL`, else info: for every command that logs.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "\(LogLevel.help) Default: $\(LogLevel.environmentVariable), else info.")
    var level: String?

    /// A logger at the chosen level.
    func logger(label: String) throws -> Logger {
        var logger = Logger(label: label)
        guard let text = level ?? ProcessInfo.processInfo.environment[LogLevel.environmentVariable] else { return logger }
        guard let parsed = LogLevel.parse(text) else {
            throw ValidationError("the log level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        logger.logLevel = parsed
        return logger
    }
}
