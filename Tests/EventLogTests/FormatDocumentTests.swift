import ByteCoding
import Foundation
import Testing
import TestSupport

@testable import EventLog

/// `Schemas/log-format.md` is the format's definition: its header tables must match what the code writes.
@Suite struct FormatDocumentTests {
    /// The rows `offset | size | field` of the table under `heading`.
    static func table(under heading: String) throws -> [String: (offset: Int, size: Int)] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/log-format.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## \(heading)").dropFirst().first)
        var rows: [String: (Int, Int)] = [:]
        for line in section.split(separator: "\n").prefix(while: { !$0.hasPrefix("#") }) {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count >= 3, let offset = Int(cells[0]), let size = Int(cells[1]) { rows[cells[2]] = (offset, size) }
        }
        return rows
    }

    static func field(_ bytes: [UInt8], _ place: (offset: Int, size: Int)) -> UInt64 {
        bytes[place.offset..<place.offset + place.size].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    @Test func batchHeaderMatchesTheDocument() throws {
        let table = try Self.table(under: "Record batch")
        let header = BatchHeader(
            codec: .lz4WithSegmentDictionary, firstPosition: 0x0102_0304_0506_0708, recordCount: 0x0A0B_0C0D,
            minTimestamp: 0x1112_1314_1516_1718, maxTimestamp: 0x2122_2324_2526_2728,
            uncompressedLength: 0x3132_3334, storedLength: 0x4142_4344, crc: 0x5152_5354)
        let bytes = header.encoded()
        #expect(bytes.count == BatchHeader.length)
        #expect(table.count == 11)
        #expect(Self.field(bytes, table["magic"]!) == UInt64(BatchHeader.magic))
        #expect(Self.field(bytes, table["formatVersion"]!) == 1)
        #expect(Self.field(bytes, table["codec"]!) == 2)
        #expect(Self.field(bytes, table["flags"]!) == 0)
        #expect(Self.field(bytes, table["firstPosition"]!) == header.firstPosition)
        #expect(Self.field(bytes, table["recordCount"]!) == UInt64(header.recordCount))
        #expect(Self.field(bytes, table["minTimestamp"]!) == UInt64(header.minTimestamp))
        #expect(Self.field(bytes, table["maxTimestamp"]!) == UInt64(header.maxTimestamp))
        #expect(Self.field(bytes, table["uncompressedLength"]!) == UInt64(header.uncompressedLength))
        #expect(Self.field(bytes, table["storedLength"]!) == UInt64(header.storedLength))
        #expect(Self.field(bytes, table["crc"]!) == UInt64(header.crc))
        #expect(table["crc"]!.offset == BatchHeader.crcOffset)
        #expect(Array(bytes[0..<4]) == Array("MMBT".utf8))
    }

    @Test func segmentHeaderMatchesTheDocument() throws {
        let table = try Self.table(under: "Segment header")
        let header = SegmentHeader(basePosition: 0x0102_0304_0506_0708, dictionary: [9, 8, 7])
        let bytes = header.encoded()
        #expect(Self.field(bytes, table["magic"]!) == UInt64(SegmentHeader.magic))
        #expect(Self.field(bytes, table["formatVersion"]!) == 1)
        #expect(Self.field(bytes, table["basePosition"]!) == header.basePosition)
        #expect(Self.field(bytes, table["dictionaryLength"]!) == 3)
        #expect(Self.field(bytes, table["crc"]!) == UInt64(CRC32C.checksum(Array(bytes[0..<20]) + [9, 8, 7])))
        #expect(table["dictionary"] == nil || table["dictionary"]!.offset == SegmentHeader.fixedLength)
        #expect(Array(bytes[0..<4]) == Array("MMSG".utf8))
        #expect(Array(bytes[24...]) == [9, 8, 7])
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(CRC32C.checksum(Array(bytes[500...]), continuing: CRC32C.checksum(Array(bytes[..<500])))
                == CRC32C.checksum(bytes))
    }
}
