import ArgumentParser
import EventLog

extension EventLog.FsyncPolicy: ExpressibleByArgument {
    /// `always`, `never`, or `interval:MS`.
    public init?(argument: String) { self.init(argument) }
}
