import ByteCoding
/// The header at byte 0 of every segment file: its first position and its LZ4 dictionary.
struct SegmentHeader: Equatable, Sendable {
    static let magic: UInt32 = 0x4753_4D4D  // "MMSG" little-endian
    static let formatVersion: UInt16 = 1
    static let fixedLength = 24
    /// The largest dictionary LZ4 can use.
    static let maximumDictionaryLength = 65_536

    var basePosition: UInt64
    var dictionary: [UInt8]

    var length: Int { Self.fixedLength + dictionary.count }

    func encoded() -> [UInt8] {
        var sink = ByteWriter()
        sink.writeLittleEndian(Self.magic)
        sink.writeLittleEndian(Self.formatVersion)
        sink.writeLittleEndian(UInt16(0))
        sink.writeLittleEndian(basePosition)
        sink.writeLittleEndian(UInt32(dictionary.count))
        let crc = CRC32C.checksum(dictionary, continuing: CRC32C.checksum(sink.bytes))
        sink.writeLittleEndian(crc)
        sink.bytes.append(contentsOf: dictionary)
        return sink.bytes
    }

    /// Why a segment header could not be read.
    enum Problem: Error, Equatable, CustomStringConvertible {
        /// The file ends inside the header (a segment whose creation was interrupted).
        case truncated
        case badMagic
        case unsupportedVersion(UInt16)
        case checksumMismatch

        var description: String {
            switch self {
            case .truncated: "segment header is truncated"
            case .badMagic: "not a segment file (bad magic)"
            case .unsupportedVersion(let version): "segment format version \(version) is not supported"
            case .checksumMismatch: "segment header CRC32C mismatch"
            }
        }
    }

    /// Reads and checks the header at the start of `file`.
    static func read(from file: LogFile) throws -> Result<SegmentHeader, Problem> {
        try file.read(at: 0, count: fixedLength + maximumDictionaryLength).withUnsafeBytes { decode($0) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<SegmentHeader, Problem> {
        var source = ByteSource(bytes)
        guard let magic = source.take(UInt32.self) else { return .failure(.truncated) }
        guard magic == Self.magic else { return .failure(.badMagic) }
        guard let version = source.take(UInt16.self), let flags = source.take(UInt16.self),
              let base = source.take(UInt64.self), let dictionaryLength = source.take(UInt32.self),
              let crc = source.take(UInt32.self)
        else { return .failure(.truncated) }
        guard version == formatVersion else { return .failure(.unsupportedVersion(version)) }
        guard flags == 0, dictionaryLength <= maximumDictionaryLength else { return .failure(.checksumMismatch) }
        guard let dictionary = source.takeBytes(Int(dictionaryLength)) else { return .failure(.truncated) }
        let computed = CRC32C.checksum(dictionary, continuing: CRC32C.checksum(
            UnsafeRawBufferPointer(rebasing: bytes[0..<20])))
        guard computed == crc else { return .failure(.checksumMismatch) }
        return .success(SegmentHeader(basePosition: base, dictionary: Array(dictionary)))
    }
}
