import ArgumentParser
import EventLog

extension EventLog.FsyncPolicy: ExpressibleByArgument {
    /// `always`, `never`, or `interval:MS`.
    public init?(argument: String) {
        switch argument {
        case "always": self = .always
        case "never": self = .never
        default:
            guard argument.hasPrefix("interval:"), let milliseconds = Int(argument.dropFirst(9)), milliseconds > 0
            else { return nil }
            self = .interval(milliseconds: milliseconds)
        }
    }
}
