import Foundation
import Gateway
import Logging
import MovieMashCore

/// `--log-format` / `MOVIEMASH_LOG_FORMAT`: swift-log's text lines for people, or a JSON object per line
/// for log shippers (Loki, Vector, journald's JSON export).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    public static let environmentVariable = "MOVIEMASH_LOG_FORMAT"
    public static let help = "text (default) or json: one JSON object per line, for log shippers."

    /// The handler of every logger a command makes, on standard output.
    public func handler(label: String) -> any LogHandler {
        switch self {
        case .text: DeferredMetadataLogHandler(StreamLogHandler.standardOutput(label: label))
        case .json: JSONLogHandler(label: label)
        }
    }
}

/// One JSON object per message: `time` (UTC, RFC 3339), `level`, `label`, `source`, `message`, and each
/// metadata key as a member of its own (strings, lists and objects as JSON).
public struct JSONLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, provided in provided } }
        if let explicit = event.metadata { fields.merge(explicit) { _, explicit in explicit } }
        FileHandle.standardOutput.write(Data(Self.line(event: event, label: label, metadata: fields, at: .now)))
    }

    /// The line of `event`, newline included.
    static func line(event: LogEvent, label: String, metadata: Logger.Metadata, at time: Timestamp) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("time"); json.string(time.description)
        json.key("level"); json.string(event.level.rawValue)
        json.key("label"); json.string(label)
        json.key("source"); json.string(event.source)
        json.key("message"); json.string(event.message.description)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !["time", "level", "label", "source", "message"].contains(key) {
            json.key(key)
            write(value, to: &json)
        }
        json.endObject()
        return json.bytes + [UInt8(ascii: "\n")]
    }

    private static func write(_ value: Logger.Metadata.Value, to json: inout JSONWriter) {
        switch value {
        case .string(let text): json.string(text)
        case .stringConvertible(let convertible): json.string(convertible.description)
        case .array(let values):
            json.beginArray()
            for value in values { write(value, to: &json) }
            json.endArray()
        case .dictionary(let members):
            json.beginObject()
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                json.key(key)
                write(value, to: &json)
            }
            json.endObject()
        }
    }
}
