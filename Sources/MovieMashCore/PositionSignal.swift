import Synchronization

/// A position that only grows, and the tasks waiting for it to reach theirs: a source's end that
/// followers wait on, a projection's published position that a read-your-writes request waits on.
public final class PositionSignal: Sendable {
    private struct State {
        var position: UInt64
        var waiters: [Int: (target: UInt64, continuation: CheckedContinuation<Bool, Never>)] = [:]
        var nextWaiter = 0
        var finished = false
    }

    private let state: Mutex<State>

    public init(position: UInt64 = 0) {
        state = Mutex(State(position: position))
    }

    public var position: UInt64 { state.withLock { $0.position } }

    /// Raises the position to `position` (never lowers it) and wakes whoever waits for at most that.
    public func advance(to position: UInt64) {
        let woken = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard position > state.position else { return [] }
            state.position = position
            let ready = state.waiters.filter { $0.value.target <= position }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    /// Wakes every waiter with "not reached"; later waits answer at once.
    public func finish() {
        let waiting = state.withLock { state in
            state.finished = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: false) }
    }

    /// Whether the position reached `target`: true once it has, false when the signal finishes first or the
    /// task is cancelled.
    public func wait(until target: UInt64) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let ready: Bool? = state.withLock { state in
                    if state.position >= target { return true }
                    if state.finished || Task.isCancelled { return false }
                    state.waiters[id] = (target, continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }

    /// Whether every signal in `signals` reaches `target` within `bound`.
    public static func wait(for signals: [PositionSignal], until target: UInt64, within bound: Duration) async -> Bool {
        if signals.allSatisfy({ $0.position >= target }) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for signal in signals where !(await signal.wait(until: target)) { return false }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
