import Logging
import Synchronization

/// A `LogHandler` that keeps every message, so tests can check what was logged and how often.
public struct RecordingLogHandler: LogHandler {
    /// The messages logged through any handler sharing this store.
    public final class Store: Sendable {
        private let entries = Mutex<[(level: Logger.Level, message: String)]>([])

        public init() {}

        public var messages: [(level: Logger.Level, message: String)] { entries.withLock { $0 } }

        func append(_ level: Logger.Level, _ message: String) {
            entries.withLock { $0.append((level, message)) }
        }
    }

    public let store: Store
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(store: Store) {
        self.store = store
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        store.append(event.level, "\(event.message)")
    }
}

extension Logger {
    /// A logger whose messages land in `store`.
    public static func recording(into store: RecordingLogHandler.Store, label: String = "test") -> Logger {
        Logger(label: label) { _ in RecordingLogHandler(store: store) }
    }
}
