import Logging

/// `--log-level` / `MOVIEMASH_LOG_LEVEL`, read the same way by every command.
public enum LogLevel {
    public static let environmentVariable = "MOVIEMASH_LOG_LEVEL"
    public static let help = "trace, debug, info (default), notice, warning, error or critical: the least severe level logged."

    /// The level named by `text` (any case), or nil.
    public static func parse(_ text: String) -> Logger.Level? { Logger.Level(rawValue: text.lowercased()) }
}
