import ByteCoding
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

    @Test func crc32cMatchesTheRFC3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }
}
