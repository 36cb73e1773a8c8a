/// Bytes appended to a growing array: fixed-width integers in either byte order, LEB128 varints and raw
/// bytes. The one writer beneath the log's batches, the event codec and snapshots.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable public mutating func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    @inlinable public mutating func write(contentsOf data: some Sequence<UInt8>) {
        bytes.append(contentsOf: data)
    }

    @inlinable public mutating func writeLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// LEB128: seven bits a byte, low first, the high bit set on every byte but the last.
    @inlinable public mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

/// Reading what `ByteWriter.writeVarint` wrote.
public enum Varint {
    /// The LEB128 varint at `index` of `bytes`, advancing `index` past it; nil (with `index` unspecified)
    /// when the bytes end first or it is longer than the ten bytes a UInt64 needs.
    @inlinable public static func decode(_ bytes: UnsafeRawBufferPointer, at index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
