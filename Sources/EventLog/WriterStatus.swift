import Synchronization

extension EventLog {
    /// Whether the log takes appends, as the rest of the service sees it.
    public enum WriterStatus: Sendable, Equatable, CustomStringConvertible {
        /// Appends are taken.
        case up
        /// A write or sync failed, or free space fell below the reserve: appends are refused with this error
        /// until `heal()` succeeds. Reading goes on.
        case failed(EventLogError)
        /// `heal()` is reopening and recovering the last segment; appends are still refused.
        case healing(EventLogError)
        case closed
        /// Opened read-only, or read-only because of damage: it never takes appends.
        case readOnly

        /// The error that refuses appends now, if any.
        public var refusal: EventLogError? {
            switch self {
            case .failed(let error), .healing(let error): error
            case .up, .closed, .readOnly: nil
            }
        }

        /// A one-word name for logs and metrics labels.
        public var name: String {
            switch self {
            case .up: "up"
            case .failed: "failed"
            case .healing: "healing"
            case .closed: "closed"
            case .readOnly: "read-only"
            }
        }

        public var description: String { refusal.map { "\(name): \($0)" } ?? name }
    }
}

/// The writer's status shared with everyone who watches it, and how often it has failed.
final class WriterStatusBoard: Sendable {
    private struct Inner {
        var status: EventLog.WriterStatus
        var failures = 0
        var watchers: [Int: AsyncStream<EventLog.WriterStatus>.Continuation] = [:]
        var nextWatcher = 0
    }

    private let inner: Mutex<Inner>

    init(_ status: EventLog.WriterStatus) {
        inner = Mutex(Inner(status: status))
    }

    var status: EventLog.WriterStatus { inner.withLock { $0.status } }
    var failures: Int { inner.withLock { $0.failures } }

    func set(_ status: EventLog.WriterStatus) {
        let (watchers, finished) = inner.withLock { inner -> ([AsyncStream<EventLog.WriterStatus>.Continuation], Bool) in
            guard inner.status != status else { return ([], false) }
            // A heal that fails again is the same outage, not a new failure.
            if case .failed = status, inner.status == .up { inner.failures += 1 }
            inner.status = status
            let watchers = Array(inner.watchers.values)
            if status == .closed { inner.watchers.removeAll() }
            return (watchers, status == .closed)
        }
        // Outside the lock: finishing a stream runs its termination handler, which takes the lock.
        for watcher in watchers {
            watcher.yield(status)
            if finished { watcher.finish() }
        }
    }

    /// The status now, then each change (a watcher that falls behind sees the latest), until the log closes.
    func changes() -> AsyncStream<EventLog.WriterStatus> {
        let (stream, continuation) = AsyncStream.makeStream(of: EventLog.WriterStatus.self, bufferingPolicy: .bufferingNewest(1))
        let id: Int? = inner.withLock { inner in
            continuation.yield(inner.status)
            guard inner.status != .closed, inner.status != .readOnly else { return nil }
            defer { inner.nextWatcher += 1 }
            inner.watchers[inner.nextWatcher] = continuation
            return inner.nextWatcher
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in _ = self?.inner.withLock { $0.watchers.removeValue(forKey: id) } }
        return stream
    }
}
