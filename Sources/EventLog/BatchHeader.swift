import ByteCoding
/// The fixed 48-byte header in front of every record batch (layout in `Schemas/log-format.md`).
struct BatchHeader: Equatable, Sendable {
    static let magic: UInt32 = 0x5442_4D4D  // "MMBT" little-endian
    static let formatVersion: UInt8 = 1
    static let length = 48
    /// Offset of the CRC field: the checksum covers the header bytes before it and then the body.
    static let crcOffset = 44

    /// How the body is stored.
    enum Codec: UInt8, Sendable, Hashable {
        case none = 0
        case lz4 = 1
        case lz4WithSegmentDictionary = 2
    }

    var codec: Codec
    var firstPosition: UInt64
    var recordCount: UInt32
    var minTimestamp: Int64
    var maxTimestamp: Int64
    var uncompressedLength: UInt32
    var storedLength: UInt32
    var crc: UInt32

    var totalLength: Int { Self.length + Int(storedLength) }
    var endPosition: UInt64 { firstPosition + UInt64(recordCount) }

    func encoded() -> [UInt8] {
        var sink = ByteWriter()
        sink.bytes.reserveCapacity(Self.length)
        sink.writeLittleEndian(Self.magic)
        sink.writeLittleEndian(Self.formatVersion)
        sink.writeLittleEndian(codec.rawValue)
        sink.writeLittleEndian(UInt16(0))
        sink.writeLittleEndian(firstPosition)
        sink.writeLittleEndian(recordCount)
        sink.writeLittleEndian(minTimestamp)
        sink.writeLittleEndian(maxTimestamp)
        sink.writeLittleEndian(uncompressedLength)
        sink.writeLittleEndian(storedLength)
        sink.writeLittleEndian(crc)
        return sink.bytes
    }

    /// Why a header could not be read.
    enum Problem: Error, Equatable {
        case truncated
        case badMagic
        case unsupportedVersion(UInt8)
        case unknownCodec(UInt8)
        case badFlags
        case implausibleLengths
        /// The batch's positions would pass 2⁶³ − 1 (the largest a PostgreSQL `bigint` holds).
        case positionsOutOfRange
    }

    /// Parses a header; checks structure only (the CRC needs the body).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<BatchHeader, Problem> {
        var source = ByteSource(bytes)
        guard bytes.count >= length,
              let magic = source.take(UInt32.self), let version = source.take(UInt8.self),
              let codecRaw = source.take(UInt8.self), let flags = source.take(UInt16.self),
              let firstPosition = source.take(UInt64.self), let count = source.take(UInt32.self),
              let minTimestamp = source.take(Int64.self), let maxTimestamp = source.take(Int64.self),
              let uncompressed = source.take(UInt32.self), let stored = source.take(UInt32.self),
              let crc = source.take(UInt32.self)
        else { return .failure(.truncated) }
        guard magic == Self.magic else { return .failure(.badMagic) }
        guard version == formatVersion else { return .failure(.unsupportedVersion(version)) }
        guard let codec = Codec(rawValue: codecRaw) else { return .failure(.unknownCodec(codecRaw)) }
        guard flags == 0 else { return .failure(.badFlags) }
        // A record takes at least 18 bytes (length, 16-byte id, timestamp delta).
        guard count > 0, minTimestamp <= maxTimestamp, UInt64(uncompressed) >= UInt64(count) * 18,
              codec != .none || stored == uncompressed
        else { return .failure(.implausibleLengths) }
        guard firstPosition <= UInt64(Int64.max) - UInt64(count) else { return .failure(.positionsOutOfRange) }
        return .success(BatchHeader(
            codec: codec, firstPosition: firstPosition, recordCount: count, minTimestamp: minTimestamp,
            maxTimestamp: maxTimestamp, uncompressedLength: uncompressed, storedLength: stored, crc: crc))
    }
}
