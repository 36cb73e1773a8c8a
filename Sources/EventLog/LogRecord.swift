import ByteCoding
import Foundation

/// One record as the log stores it: an idempotency key, a timestamp and opaque bytes.
public struct LogRecord: Sendable, Hashable {
    /// The idempotency key: appending a record whose id is already in the log writes nothing.
    public var id: UUID
    /// Milliseconds since the Unix epoch, as the producer saw them.
    public var timestamp: Int64
    /// The record's bytes; the log never looks inside.
    public var payload: [UInt8]

    public init(id: UUID, timestamp: Int64, payload: [UInt8]) {
        self.id = id
        self.timestamp = timestamp
        self.payload = payload
    }
}

/// A record together with the position the log assigned to it.
public struct StoredRecord: Sendable, Hashable {
    public var position: UInt64
    public var record: LogRecord

    public init(position: UInt64, record: LogRecord) {
        self.position = position
        self.record = record
    }
}

extension UUID {
    func append(to sink: inout ByteWriter) {
        withUnsafeBytes(of: uuid) { sink.bytes.append(contentsOf: $0) }
    }
}
