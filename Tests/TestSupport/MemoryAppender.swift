import MovieMashCore
import Synchronization

/// An appender that keeps events in memory and, like the log, writes an event id only once.
public final class MemoryAppender: EventAppender {
    private let events = Mutex<[EventEnvelope]>([])
    /// While set, every append fails as a log that cannot write does.
    public let unavailable = Atomic<Bool>(false)
    /// The durability rule: what `confirm` does with a write's position.
    public let confirmation: @Sendable (UInt64) async throws -> Void

    public init(confirmation: @escaping @Sendable (UInt64) async throws -> Void = { _ in }) {
        self.confirmation = confirmation
    }

    public var all: [EventEnvelope] { events.withLock { $0 } }

    private func checkStorage() throws {
        if unavailable.load(ordering: .relaxed) { throw StorageUnavailable(reason: "the disk is full") }
    }

    public func append(_ envelope: EventEnvelope) async throws -> UInt64 {
        try checkStorage()
        return events.withLock { events in
            if let index = events.firstIndex(where: { $0.eventID == envelope.eventID }) { return UInt64(index) }
            events.append(envelope)
            return UInt64(events.count - 1)
        }
    }

    public func append(contentsOf envelopes: [EventEnvelope]) async throws -> [UInt64] {
        var positions: [UInt64] = []
        for envelope in envelopes { positions.append(try await append(envelope)) }
        return positions
    }

    public func confirm(_ position: UInt64) async throws { try await confirmation(position) }

    public func appendNew(_ envelope: EventEnvelope) async throws -> UInt64? {
        try checkStorage()
        return events.withLock { events in
            guard !events.contains(where: { $0.eventID == envelope.eventID }) else { return nil }
            events.append(envelope)
            return UInt64(events.count - 1)
        }
    }
}
