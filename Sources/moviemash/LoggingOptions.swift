import ArgumentParser
import Foundation
import Logging
import MovieMashServer

/// `--log-level`, else `MOVIEMASH_LOG_LEVEL`, else info, and `--log-format`, else `MOVIEMASH_LOG_FORMAT`,
/// else text: for every command that logs.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "\(LogLevel.help) Default: $\(LogLevel.environmentVariable), else info.")
    var level: String?
    @Option(name: .customLong("log-format"), help: "\(LogFormat.help) Default: $\(LogFormat.environmentVariable), else text.")
    var format: String?

    /// A logger at the chosen level, in the chosen format.
    func logger(label: String) throws -> Logger {
        let name = format ?? ProcessInfo.processInfo.environment[LogFormat.environmentVariable] ?? "text"
        guard let format = LogFormat(rawValue: name.lowercased()) else {
            throw ValidationError("the log format must be text or json, not '\(name)'")
        }
        var logger = Logger(label: label) { format.handler(label: $0) }
        guard let text = level ?? ProcessInfo.processInfo.environment[LogLevel.environmentVariable] else { return logger }
        guard let parsed = LogLevel.parse(text) else {
            throw ValidationError("the log level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        logger.logLevel = parsed
        return logger
    }
}
