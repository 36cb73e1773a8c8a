import MovieMashCore
import ServiceLifecycle

/// The one loop that feeds events from an `EventSource` to whatever is derived from them: the node's
/// `ProjectionRuntime` follows with it, replay reads with it.
///
/// It reads in chunks and hands each to its consumer, which then publishes what is due and names the
/// instant it must be asked again. At the source's end it waits for the next event or that instant; a
/// graceful shutdown, cancellation or a closed source ends it.
public struct EventFollower: Sendable {
    public struct Configuration: Sendable {
        /// Events read per round.
        public var chunk = 4096

        public init() {}
    }

    public let source: any EventSource
    public let configuration: Configuration

    public init(source: any EventSource, configuration: Configuration = Configuration()) {
        self.source = source
        self.configuration = configuration
    }

    /// The follow loop: reads the source in chunks from `position` until shutdown, cancellation or the
    /// source closing, and returns the position after the last event applied. `apply` gets each chunk
    /// (each event with the position after it); `settle` then publishes whatever is due, knowing whether
    /// the source had no more (`atEnd`), and returns the instant by which it must be asked again even if no
    /// event comes (nil: at the next event). At the source's end the loop waits for the next event or that
    /// instant, whichever is first.
    public func follow(
        from position: UInt64,
        apply: (ArraySlice<(event: EventEnvelope, after: UInt64)>) async throws -> Void,
        settle: (_ position: UInt64, _ atEnd: Bool) async throws -> ContinuousClock.Instant?
    ) async throws -> UInt64 {
        var position = position
        let (source, limit) = (self.source, configuration.chunk)
        // Behind the source's end, the next chunk is read (queried, decoded) while this one is applied:
        // a catching-up node keeps a core on each.
        var ahead: Task<[EventEnvelope], any Error>?
        defer { ahead?.cancel() }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let events: [EventEnvelope]
            if let reading = ahead {
                ahead = nil
                events = try await reading.value
            } else {
                events = try await source.events(from: position, limit: limit)
            }
            let chunk = Self.positioned(events, after: &position)
            let atEnd = events.count < limit
            if !atEnd { ahead = Task { [position] in try await source.events(from: position, limit: limit) } }
            if !chunk.isEmpty { try await apply(chunk[...]) }
            let deadline = try await settle(position, atEnd)
            guard atEnd else { continue }
            guard await wake(at: position, orBy: deadline) else { return position }
        }
        return position
    }

    /// Waits for the event at `next`, or until `deadline`, whichever comes first; false on a graceful
    /// shutdown, cancellation or a closed source.
    private func wake(at next: UInt64, orBy deadline: ContinuousClock.Instant?) async -> Bool {
        let source = self.source
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    return try await cancelWhenGracefulShutdown { try await source.waitForEvent(at: next) }
                } catch {
                    return false
                }
            }
            if let deadline {
                group.addTask {
                    do {
                        try await Task.sleep(until: deadline)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Applies every event from `position` up to `end` (exclusive) in chunks, each event with the position
    /// after it, and returns the position reached, which is less than `end` only when the source holds
    /// fewer events.
    public func read(
        from position: UInt64, to end: UInt64, apply: (ArraySlice<(event: EventEnvelope, after: UInt64)>) throws -> Void
    ) async throws -> UInt64 {
        var position = position
        while position < end {
            let limit = Int(clamping: min(UInt64(configuration.chunk), end - position))
            let events = try await source.events(from: position, limit: limit)
            let chunk = Self.positioned(events, after: &position)
            if !chunk.isEmpty { try apply(chunk[...]) }
            if events.count < limit { break }
        }
        return position
    }

    /// Each event with the position after it; `position` ends after the last.
    private static func positioned(_ events: [EventEnvelope], after position: inout UInt64) -> [(event: EventEnvelope, after: UInt64)] {
        var chunk: [(event: EventEnvelope, after: UInt64)] = []
        chunk.reserveCapacity(events.count)
        for event in events {
            position = event.position.map { $0 + 1 } ?? position + 1
            chunk.append((event, position))
        }
        return chunk
    }
}
