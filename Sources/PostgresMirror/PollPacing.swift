/// How often a replica asks a standby for new events, decided apart from the queries: a standby cannot
/// LISTEN/NOTIFY, so it is polled, fast while events keep coming and ever slower (doubling up to
/// `slowest`) while none do. The first new event after a quiet spell is seen within `slowest`, and the
/// next ones within `fastest`.
public struct PollPacing: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        public var fastest: Duration = .milliseconds(5)
        public var slowest: Duration = .milliseconds(250)

        public init() {}
    }

    public let configuration: Configuration
    /// The pause before the next poll.
    public private(set) var interval: Duration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        interval = configuration.fastest
    }

    /// A poll found new events (or not): the pause before the next.
    public mutating func polled(foundNew: Bool) -> Duration {
        interval = foundNew ? configuration.fastest : min(configuration.slowest, interval * 2)
        return interval
    }
}
