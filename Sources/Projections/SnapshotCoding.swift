import ByteCoding
import Foundation
import MovieMashCore
import OrderedCollections

/// Little-endian, length-prefixed bytes of a projector's state; the same state always gives the same bytes.
public struct SnapshotWriter: Sendable {
    private var writer = ByteWriter()

    public var bytes: [UInt8] { writer.bytes }

    public init() {}

    public mutating func write(_ value: UInt32) { writer.writeLittleEndian(value) }

    public mutating func write(_ value: UInt64) { writer.writeLittleEndian(value) }

    public mutating func write(_ value: Int32) { writer.writeLittleEndian(value) }

    /// Doubles as their exact bits, so a loaded state continues bit for bit.
    public mutating func write(_ value: Double) { writer.writeLittleEndian(value.bitPattern) }

    public mutating func write(_ value: UInt128) { writer.writeLittleEndian(value) }

    public mutating func write(_ value: String) {
        write(UInt32(value.utf8.count))
        writer.write(contentsOf: value.utf8)
    }

    public mutating func write(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { writer.write(contentsOf: $0) }
    }

    public mutating func write(count: Int) { write(UInt64(count)) }

    /// Opaque bytes: their count, then the bytes (`SnapshotReader.bytes(count:)` after `count()` reads them).
    public mutating func write(bytes: [UInt8]) {
        write(count: bytes.count)
        writer.write(contentsOf: bytes)
    }
}

/// Reads what `SnapshotWriter` wrote; every read is bounds-checked, so damaged bytes fail instead of trapping.
public struct SnapshotReader: Sendable {
    private let bytes: [UInt8]
    private var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    public var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(SnapshotError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw SnapshotError("state ends early at byte \(offset) (wanted \(count) more)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func bytes(count: Int) throws(SnapshotError) -> [UInt8] { Array(try take(count)) }

    public mutating func uint32() throws(SnapshotError) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func uint64() throws(SnapshotError) -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func int32() throws(SnapshotError) -> Int32 { Int32(bitPattern: try uint32()) }

    public mutating func double() throws(SnapshotError) -> Double { Double(bitPattern: try uint64()) }

    public mutating func uint128() throws(SnapshotError) -> UInt128 {
        let low = try uint64()
        return UInt128(try uint64()) << 64 | UInt128(low)
    }

    public mutating func string() throws(SnapshotError) -> String {
        let count = Int(try uint32())
        guard let text = String(validating: try take(count), as: UTF8.self) else {
            throw SnapshotError("invalid UTF-8 at byte \(offset - count)")
        }
        return text
    }

    public mutating func uuid() throws(SnapshotError) -> UUID {
        try take(16).withUnsafeBytes { UUID(loadingFrom: $0) }
    }

    /// A count of elements that follow, refused when it could not fit in what remains (each at least `minimumBytes`).
    public mutating func count(minimumBytes: Int = 1) throws(SnapshotError) -> Int {
        let count = try uint64()
        guard count <= UInt64(bytes.count - offset) / UInt64(max(minimumBytes, 1)) else {
            throw SnapshotError("count \(count) at byte \(offset - 8) exceeds the remaining bytes")
        }
        return Int(count)
    }
}

/// A snapshot that cannot be used; the projector rebuilds from the log instead.
public struct SnapshotError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// FNV-1a, 64 bits: a stable digest of configurations and states (not for adversaries; for "same or not").
public struct StateDigest: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var digest = StateDigest()
        digest.update(bytes)
        return digest.value
    }
}

extension SetID {
    func write(to writer: inout SnapshotWriter) { writer.write(value) }
    static func read(from reader: inout SnapshotReader) throws(SnapshotError) -> SetID { SetID(value: try reader.uint128()) }
}

extension OrderedSet {
    /// The set of `keys` in their order, as a snapshot wrote them; a key written twice is damage.
    init(snapshotKeys keys: [Element]) throws(SnapshotError) {
        self.init(keys)
        guard count == keys.count else { throw SnapshotError("a key appears twice among \(keys.count) keys") }
    }
}
