import EventLog
import MovieMashCore

extension LogRecord {
    /// The log record that stores `envelope`: its id and time in the record header, the rest as bytes.
    public init(_ envelope: EventEnvelope) {
        self.init(
            id: envelope.eventID, timestamp: envelope.occurredAt.milliseconds,
            payload: EventCodec.encode(envelope.event, occurredAt: envelope.occurredAt))
    }
}

extension EventEnvelope {
    /// The event stored in `stored`, upcast to the current schema.
    public init(_ stored: StoredRecord) throws(EventCodingError) {
        self = try EventCodec.decode(
            stored.record.payload, eventID: stored.record.id,
            occurredAt: Timestamp(milliseconds: stored.record.timestamp), position: stored.position)
    }
}

extension EventEnvelope {
    /// The event a record visited in place holds, decoded without copying its payload.
    public init(_ view: RecordView) throws(EventCodingError) {
        self = try EventCodec.decode(
            view.payload, eventID: view.id, occurredAt: Timestamp(milliseconds: view.timestamp), position: view.position)
    }
}
