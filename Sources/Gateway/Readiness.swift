/// What `/ready` reports: every component the node needs to serve, how far behind it is, and whether
/// that is within its bound. The node is ready when every component is.
public struct Readiness: Sendable, Equatable {
    /// One part of the node: a projection, the recommender, the log's writer, the mirror.
    public struct Component: Sendable, Equatable, Codable {
        public var name: String
        public var ready: Bool
        /// Events it has not applied (or copied) yet.
        public var lagEvents: UInt64?
        /// Age of the oldest event it has not applied yet, in seconds.
        public var lagSeconds: Double?
        /// A state worth naming (the writer's `up`/`failed`, the mirror's `caught up`).
        public var state: String?
        /// Why it is not ready.
        public var detail: String?

        public init(name: String, ready: Bool, lagEvents: UInt64? = nil, lagSeconds: Double? = nil, state: String? = nil, detail: String? = nil) {
            self.name = name
            self.ready = ready
            self.lagEvents = lagEvents
            self.lagSeconds = lagSeconds
            self.state = state
            self.detail = detail
        }
    }

    public var components: [Component]

    public init(components: [Component]) {
        self.components = components
    }

    public var isReady: Bool { components.allSatisfy(\.ready) }

    /// Ready, but some component serves stale data (state `degraded`): `/ready` then answers 200 with
    /// status `degraded` rather than `ready`, which an HTTP check matching the body can tell apart.
    public var isDegraded: Bool { components.contains { $0.state == "degraded" } }

    /// Each component that is not ready, with why.
    public var reasons: [String] {
        components.filter { !$0.ready }.map { "\($0.name): \($0.detail ?? "not ready")" }
    }
}
