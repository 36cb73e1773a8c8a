import ByteCoding
import Foundation

/// One record read in place, inside a decoded batch body: its payload is valid only during the visit, so a
/// reader that decodes it there copies nothing.
public struct RecordView {
    public var position: UInt64
    public var id: UUID
    public var timestamp: Int64
    public var payload: UnsafeRawBufferPointer

    /// The record as a value that outlives the visit (its payload copied).
    public var record: LogRecord { LogRecord(id: id, timestamp: timestamp, payload: Array(payload)) }
}

/// Pure encoding and decoding of record batches: no file I/O happens here.
///
/// Body layout, per record: LEB128 payload length, 16-byte id, LEB128 (timestamp − batch minimum), payload.
enum RecordBatch {
    /// Why bytes at an offset are not a valid batch.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case header(BatchHeader.Problem)
        /// Fewer bytes remain than the header announces.
        case truncated
        case checksumMismatch(stored: UInt32, computed: UInt32)
        case undecodableBody(String)
        case unexpectedPosition(expected: UInt64, found: UInt64)

        var description: String {
            switch self {
            case .header(let problem): "invalid batch header (\(problem))"
            case .truncated: "batch extends past the end of the file"
            case let .checksumMismatch(stored, computed):
                "CRC32C mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))"
            case .undecodableBody(let why): "batch body does not decode: \(why)"
            case let .unexpectedPosition(expected, found): "batch starts at position \(found), expected \(expected)"
            }
        }
    }


    /// The uncompressed body of `records`.
    static func body(of records: some Collection<LogRecord>) -> [UInt8] {
        let minimum = records.lazy.map(\.timestamp).min() ?? 0
        var sink = ByteWriter()
        sink.bytes.reserveCapacity(records.reduce(0) { $0 + $1.payload.count + 24 })
        for record in records {
            sink.writeVarint(UInt64(record.payload.count))
            record.id.append(to: &sink)
            sink.writeVarint(UInt64(bitPattern: record.timestamp &- minimum))
            sink.bytes.append(contentsOf: record.payload)
        }
        return sink.bytes
    }

    /// Encodes `records` (at least one) as a complete batch: header followed by the stored body.
    static func encode(
        _ records: some Collection<LogRecord>, firstPosition: UInt64, body: [UInt8],
        dictionary: [UInt8], compressor: LZ4Compressor
    ) -> [UInt8] {
        let compressed = body.withUnsafeBytes { compressor.compress($0, dictionary: dictionary) }
        let codec: BatchHeader.Codec = compressed == nil ? .none : dictionary.isEmpty ? .lz4 : .lz4WithSegmentDictionary
        let stored = compressed ?? body
        var header = BatchHeader(
            codec: codec, firstPosition: firstPosition, recordCount: UInt32(records.count),
            minTimestamp: records.lazy.map(\.timestamp).min()!, maxTimestamp: records.lazy.map(\.timestamp).max()!,
            uncompressedLength: UInt32(body.count), storedLength: UInt32(stored.count), crc: 0)
        var bytes = header.encoded()
        header.crc = CRC32C.checksum(stored, continuing: CRC32C.checksum(bytes[0..<BatchHeader.crcOffset]))
        bytes = header.encoded()
        bytes.append(contentsOf: stored)
        return bytes
    }

    /// Checks the header and CRC of the batch at the start of `bytes` without decompressing it.
    static func verify(_ bytes: UnsafeRawBufferPointer, expectedPosition: UInt64?) -> Result<BatchHeader, Failure> {
        let header: BatchHeader
        switch BatchHeader.decode(bytes) {
        case .failure(let problem): return .failure(.header(problem))
        case .success(let decoded): header = decoded
        }
        guard bytes.count >= header.totalLength else { return .failure(.truncated) }
        let computed = CRC32C.checksum(
            UnsafeRawBufferPointer(rebasing: bytes[BatchHeader.length..<header.totalLength]),
            continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<BatchHeader.crcOffset])))
        guard computed == header.crc else { return .failure(.checksumMismatch(stored: header.crc, computed: computed)) }
        if let expectedPosition, expectedPosition != header.firstPosition {
            return .failure(.unexpectedPosition(expected: expectedPosition, found: header.firstPosition))
        }
        return .success(header)
    }

    /// Verifies the batch at the start of `bytes`, decompresses it into `scratch` and visits each record.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, expectedPosition: UInt64?, dictionary: [UInt8], scratch: inout [UInt8],
        visit: (RecordView) throws -> Void
    ) throws -> Result<BatchHeader, Failure> {
        let header: BatchHeader
        switch verify(bytes, expectedPosition: expectedPosition) {
        case .failure(let failure): return .failure(failure)
        case .success(let verified): header = verified
        }
        let stored = UnsafeRawBufferPointer(rebasing: bytes[BatchHeader.length..<header.totalLength])
        let length = Int(header.uncompressedLength)
        // Checked before anything is allocated: a header that passed its CRC can still claim a body no
        // LZ4 block of its size expands to (each stored byte yields at most 255).
        let plausible = header.codec == .none
            ? header.uncompressedLength == header.storedLength
            : length <= Int(header.storedLength) * 255 && length <= Int(Int32.max)
        guard plausible else {
            return .failure(.undecodableBody("an uncompressed length of \(length) bytes cannot come from \(header.storedLength) stored bytes"))
        }
        if header.codec != .none {
            if scratch.count < length { scratch = [UInt8](repeating: 0, count: length) }
            let ok = scratch.withUnsafeMutableBytes { out in
                LZ4.decompress(
                    stored, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<length]),
                    dictionary: header.codec == .lz4WithSegmentDictionary ? dictionary : nil)
            }
            guard ok else { return .failure(.undecodableBody("LZ4 block is invalid")) }
        }
        let failure: Failure? = header.codec == .none
            ? try walk(stored, header: header, visit: visit)
            : try scratch.withUnsafeBytes { try walk(UnsafeRawBufferPointer(rebasing: $0[0..<length]), header: header, visit: visit) }
        if let failure { return .failure(failure) }
        return .success(header)
    }

    private static func walk(
        _ body: UnsafeRawBufferPointer, header: BatchHeader, visit: (RecordView) throws -> Void
    ) throws -> Failure? {
        var source = ByteSource(body)
        for index in 0..<UInt64(header.recordCount) {
            guard let length = source.takeVarint(), let idBytes = source.takeBytes(16),
                  let delta = source.takeVarint(), let payload = source.takeBytes(Int(clamping: length))
            else { return .undecodableBody("record \(index) is truncated") }
            try visit(RecordView(
                position: header.firstPosition + index, id: UUID(loadingFrom: idBytes),
                timestamp: header.minTimestamp &+ Int64(bitPattern: delta), payload: payload))
        }
        return source.remaining == 0 ? nil : .undecodableBody("\(source.remaining) bytes after the last record")
    }
}
