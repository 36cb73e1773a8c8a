import ByteCoding
import Foundation
import Testing

@Suite struct ByteWriterTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max])
    func varintsRoundTripInTheFewestBytes(value: UInt64) {
        var writer = ByteWriter()
        writer.writeVarint(value)
        let expectedLength = max(1, (64 - value.leadingZeroBitCount + 6) / 7)
        #expect(writer.bytes.count == expectedLength)
        var index = 0
        let decoded = writer.bytes.withUnsafeBytes { Varint.decode($0, at: &index) }
        #expect(decoded == value && index == writer.bytes.count)
    }

    @Test func aTruncatedOrOverlongVarintIsRefused() {
        var index = 0
        #expect([UInt8]([0x80, 0x80]).withUnsafeBytes { Varint.decode($0, at: &index) } == nil)
        index = 0
        #expect([UInt8](repeating: 0xFF, count: 11).withUnsafeBytes { Varint.decode($0, at: &index) } == nil)
    }

    @Test func fixedWidthIntegersGoInTheAskedByteOrder() {
        var writer = ByteWriter()
        writer.writeLittleEndian(UInt32(0x0102_0304))
        writer.writeBigEndian(UInt16(0x0506))
        writer.write(7)
        writer.write(contentsOf: [8, 9])
        #expect(writer.bytes == [4, 3, 2, 1, 5, 6, 7, 8, 9])
    }

    /// Every implementation this processor can run: the table everywhere, the instruction where there is one.
    static let implementations = CRC32C.Implementation.allCases.filter { $0 == .table || CRC32C.implementation == .hardware }

    @Test(arguments: implementations)
    func crc32cMatchesTheRFC3720Vectors(implementation: CRC32C.Implementation) {
        func crc(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32C.checksum($0, using: implementation) } }
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(crc([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(crc((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(crc((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(crc(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc([]) == 0)
    }

    /// The instruction agrees with the table on every length around its 8-byte words and 3 KiB interleaved
    /// blocks, from every alignment, and when continued from a split anywhere.
    @Test func theInstructionAgreesWithTheTable() throws {
        try #require(CRC32C.implementation == .hardware, "this processor has no CRC-32C instruction: nothing to compare")
        var generator = SystemRandomNumberGenerator()
        let data = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let lengths = Array(0...80) + [1023, 1024, 3071, 3072, 3073, 3080, 6144, 6151, 9216, 12_345, 19_990]
        data.withUnsafeBytes { all in
            for offset in 0..<8 {
                for length in lengths where offset + length <= all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
                    let table = CRC32C.checksum(slice, using: .table)
                    #expect(CRC32C.checksum(slice, using: .hardware) == table, "offset \(offset), length \(length)")
                    let split = length / 3
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<split]), using: .hardware)
                    #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[split...]), continuing: first, using: .hardware) == table)
                }
            }
        }
    }
}

@Suite struct UUIDBytesTests {
    @Test func aUUIDLoadedInPlaceIsTheOneFoundationBuildsFromTheSameBytes() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let bytes = (0..<40).map { _ in UInt8.random(in: 0...255, using: &random) }
            let offset = Int.random(in: 0...24, using: &random)
            bytes.withUnsafeBytes { raw in
                let expected = UUID(uuid: raw.loadUnaligned(fromByteOffset: offset, as: uuid_t.self))
                #expect(UUID(loadingFrom: raw, at: offset) == expected)
                #expect(UUID(loadingFrom: raw, at: offset).uuidString == expected.uuidString)
            }
        }
        let known = UUID(uuidString: "6D6F7669-656D-6173-6800-66757A7A6572")!
        withUnsafeBytes(of: known.uuid) { #expect(UUID(loadingFrom: $0) == known) }
    }
}
