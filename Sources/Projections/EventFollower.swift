import MovieMashCore
import ServiceLifecycle

/// The one loop that feeds events from an `EventSource` to whatever is derived from them: projectors,
/// the recommender, replay.
///
/// It reads in chunks, hands each event to `apply`, and decides with `PublishPacing` when the consumer
/// publishes (at most every `publishInterval` under a stream, within it after a pause). At the source's
/// end it waits for the next event; a graceful shutdown, cancellation or a closed source ends it.
public struct EventFollower: Sendable {
    public struct Configuration: Sendable {
        /// Events read per round.
        public var chunk = 4096
        public var publishInterval: Duration = .milliseconds(50)

        public init() {}
    }

    public let source: any EventSource
    public let configuration: Configuration

    public init(source: any EventSource, configuration: Configuration = Configuration()) {
        self.source = source
        self.configuration = configuration
    }

    /// Follows the source from `position` until shutdown, cancellation or the source closing; returns the
    /// position after the last event applied. `apply` gets each event with the position after it;
    /// `publish` is called with the position the consumer's state then covers; `afterRound` after every
    /// round, published or not; `caughtUp` after each publish that reached the source's end.
    public func follow(
        from position: UInt64,
        apply: (EventEnvelope, UInt64) throws -> Void,
        publish: (UInt64) async throws -> Void,
        caughtUp: (UInt64) -> Void = { _ in },
        afterRound: (UInt64) async throws -> Void = { _ in }
    ) async throws -> UInt64 {
        var position = position
        var pacing = PublishPacing(interval: configuration.publishInterval)
        while !Task.isCancelled {
            let events = try await source.events(from: position, limit: configuration.chunk)
            for event in events {
                position = event.position.map { $0 + 1 } ?? position + 1
                try apply(event, position)
            }
            let atEnd = events.count < configuration.chunk
            switch pacing.step(applied: events.count, caughtUp: atEnd) {
            case .gather(let wait):
                guard await Self.pause(for: wait) else { return position }
                continue
            case .publish:
                try await publish(position)
                pacing.published()
                if atEnd { caughtUp(position) }
            case .keepApplying:
                break
            }
            try await afterRound(position)
            if atEnd {
                let (source, next) = (source, position)
                do {
                    guard try await cancelWhenGracefulShutdown({ try await source.waitForEvent(at: next) }) else { return position }
                } catch is CancellationError {
                    return position
                }
            }
        }
        return position
    }

    /// Applies every event from `position` up to `end` (exclusive), each with the position after it, and
    /// returns the position reached, which is less than `end` only when the source holds fewer events.
    public func read(from position: UInt64, to end: UInt64, apply: (EventEnvelope, UInt64) throws -> Void) async throws -> UInt64 {
        var position = position
        while position < end {
            let limit = Int(clamping: min(UInt64(configuration.chunk), end - position))
            let events = try await source.events(from: position, limit: limit)
            for event in events {
                position = event.position.map { $0 + 1 } ?? position + 1
                try apply(event, position)
            }
            if events.count < limit { break }
        }
        return position
    }

    /// Sleeps `duration`; false when a graceful shutdown or cancellation cut it short.
    private static func pause(for duration: Duration) async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
            return true
        } catch {
            return false
        }
    }
}
