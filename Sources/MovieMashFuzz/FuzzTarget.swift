import ByteCoding
@testable import EventLog
import Foundation
@testable import Gateway
import MovieMashCore
import NIOCore

/// What the fuzzer feeds with arbitrary bytes: every decoder that reads bytes from outside the process.
/// Each must answer any input with a value or an error, never a crash; where a decoder has an encoder, what
/// it decodes must encode and decode back to itself.
enum FuzzTarget: String, CaseIterable {
    /// A record batch as the log reads it from disk: header, CRC, LZ4 block (with and without a segment
    /// dictionary) and record framing. The input's CRC is also fixed up, so the fuzzer gets past it.
    case batch
    /// An event payload in the log's binary codec.
    case eventBinary = "event-binary"
    /// An event envelope as JSON (what the mirror and `log dump --json` write).
    case eventJSON = "event-json"
    /// A vote ticket as clients send it back; also tickets signed from the input, so verification is reached.
    case ticket
    /// The JSON bodies of votes and registrations, with the checks the routes apply; a vote read without
    /// JSONDecoder (`PlainJSONObject`) must be the vote JSONDecoder reads.
    case bodies

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .batch: Self.batch(bytes)
        case .eventBinary: Self.eventBinary(Array(bytes))
        case .eventJSON: Self.eventJSON(Data(bytes))
        case .ticket: Self.ticket(Array(bytes))
        case .bodies: Self.bodies(Array(bytes))
        }
    }

    /// A check that failed: a crash the fuzzer records, with the input that caused it.
    static func violated(_ what: String) -> Never {
        fatalError("fuzz property violated: \(what)")
    }

    static let dictionary = Array("moviemash segment dictionary: sets, films and votes".utf8)

    private static func batch(_ bytes: UnsafeRawBufferPointer) {
        decodeBatch(bytes)
        guard bytes.count >= BatchHeader.length else { return }
        var fixed = Array(bytes)
        if case .success(let header) = BatchHeader.decode(bytes), header.totalLength <= fixed.count {
            let crc = CRC32C.checksum(fixed[BatchHeader.length..<header.totalLength], continuing: CRC32C.checksum(fixed[0..<BatchHeader.crcOffset]))
            withUnsafeBytes(of: crc.littleEndian) { fixed.replaceSubrange(BatchHeader.crcOffset..<BatchHeader.crcOffset + 4, with: $0) }
            fixed.withUnsafeBytes { decodeBatch($0) }
        }
    }

    private static func decodeBatch(_ bytes: UnsafeRawBufferPointer) {
        var scratch: [UInt8] = []
        var records: [LogRecord] = []
        guard case .success(let header)? = try? RecordBatch.decode(
            bytes, expectedPosition: nil, dictionary: dictionary, scratch: &scratch, visit: { records.append($0.record) })
        else { return }
        guard records.count == Int(header.recordCount) else { violated("a batch of \(header.recordCount) records decoded \(records.count)") }
        guard !records.isEmpty else { return }
        let body = RecordBatch.body(of: records)
        let again = RecordBatch.encode(records, firstPosition: header.firstPosition, body: body, dictionary: dictionary, compressor: LZ4Compressor())
        var decoded: [LogRecord] = []
        let result = again.withUnsafeBytes {
            try? RecordBatch.decode($0, expectedPosition: header.firstPosition, dictionary: dictionary, scratch: &scratch) { decoded.append($0.record) }
        }
        guard case .success? = result, decoded == records else { violated("re-encoded records do not decode to themselves") }
    }

    private static let eventID = UUID(uuidString: "6D6F7669-656D-6173-6800-66757A7A6572")!
    private static let occurredAt = Timestamp(milliseconds: 1_800_000_000_000)

    private static func eventBinary(_ bytes: [UInt8]) {
        guard let envelope = try? EventCodec.decode(bytes, eventID: eventID, occurredAt: occurredAt) else { return }
        let encoded = EventCodec.encode(envelope.event, occurredAt: occurredAt)
        guard let again = try? EventCodec.decode(encoded, eventID: eventID, occurredAt: occurredAt), again.event == envelope.event else {
            violated("a decoded \(envelope.type) does not survive encoding")
        }
    }

    private static func eventJSON(_ data: Data) {
        guard let envelope = try? EventCodec.decodeJSON(data) else { return }
        guard let again = try? EventCodec.decodeJSON(EventCodec.json(envelope)), again == envelope else {
            violated("a decoded \(envelope.type) envelope does not survive JSON")
        }
    }

    static let signer = TicketSigner(keys: try! SigningKeys(parsing: "fuzz:a-fuzzing-secret-of-at-least-32-bytes!"))

    private static func ticket(_ bytes: [UInt8]) {
        _ = signer.verify(String(decoding: bytes, as: UTF8.self), nowMilliseconds: occurredAt.milliseconds)
        guard bytes.count >= 72 else { return }
        func uuid(_ offset: Int) -> UUID { bytes.withUnsafeBytes { UUID(loadingFrom: $0, at: offset) } }
        func value(_ offset: Int) -> UInt128 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt128.self) } }
        let expires = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 64, as: Int64.self) }
        let ticket = TicketSigner.Ticket(id: uuid(0), voter: uuid(16), a: SetID(value: value(32)), b: SetID(value: value(48)), expires: expires)
        let token = signer.sign(ticket)
        let verified = signer.verify(token, nowMilliseconds: occurredAt.milliseconds)
        guard verified == (expires > occurredAt.milliseconds ? ticket : nil) else { violated("a signed ticket does not verify as itself") }
    }

    private static func bodies(_ bytes: [UInt8]) {
        let body = ByteBuffer(bytes: bytes)
        if let plain = bytes.withUnsafeBytes({ PlainJSONObject($0) }).flatMap(VoteRequest.init(plain:)) {
            let decoded = try? JSONDecoder().decode(VoteRequest.self, from: Data(bytes))
            guard decoded?.ticket == plain.ticket, decoded?.winner == plain.winner else {
                violated("a vote read plain is not the vote JSONDecoder reads")
            }
        }
        if let vote = try? Requests.decode(VoteRequest.self, fromJSON: body) {
            _ = signer.verify(vote.ticket, nowMilliseconds: occurredAt.milliseconds)
        }
        if let credentials = try? Requests.decode(Credentials.self, fromJSON: body) {
            _ = try? UserRegistered(userID: eventID, username: credentials.username, passwordHash: "$2b$04$" + String(repeating: "a", count: 53))
        }
    }
}
