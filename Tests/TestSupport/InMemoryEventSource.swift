import Foundation
import MovieMashCore
import Synchronization

/// Events held in memory as an `EventSource`, appended by the test: a source that is not the log, so
/// tests show that what is derived from events depends on the seam only.
public final class InMemoryEventSource: EventSource {
    private struct State {
        var events: [EventEnvelope] = []
        var closed = false
    }

    private let state = Mutex(State())

    public init(_ events: [EventEnvelope] = []) {
        append(events)
    }

    /// Appends `events` at the next positions.
    public func append(_ events: [EventEnvelope]) {
        state.withLock { state in
            for var event in events {
                event.position = UInt64(state.events.count)
                state.events.append(event)
            }
        }
    }

    /// Ends every wait: a follower stops at the end.
    public func close() { state.withLock { $0.closed = true } }

    public func endPosition() -> UInt64 { state.withLock { UInt64($0.events.count) } }

    public func events(from position: UInt64, limit: Int) -> [EventEnvelope] {
        state.withLock { state in
            let start = Int(min(position, UInt64(state.events.count)))
            return Array(state.events[start..<min(state.events.count, start + limit)])
        }
    }

    /// Polls every millisecond: a test source needs no wake-up machinery.
    public func waitForEvent(at position: UInt64) async throws -> Bool {
        while true {
            let (end, closed) = state.withLock { (UInt64($0.events.count), $0.closed) }
            if end > position { return true }
            if closed { return false }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    public func eventID(at position: UInt64) -> UUID? {
        state.withLock { position < UInt64($0.events.count) ? $0.events[Int(position)].eventID : nil }
    }
}
