import ByteCoding
import Foundation

/// Appends the fields of the compact binary event encoding.
struct FieldWriter {
    private var writer = ByteWriter()

    var bytes: [UInt8] { writer.bytes }

    mutating func byte(_ value: UInt8) {
        writer.write(value)
    }

    mutating func unsigned(_ value: UInt64) {
        writer.writeVarint(value)
    }

    /// Zigzag, so small negative numbers stay small.
    mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func string(_ value: String) {
        unsigned(UInt64(value.utf8.count))
        writer.write(contentsOf: value.utf8)
    }

    mutating func strings(_ values: [String]) {
        unsigned(UInt64(values.count))
        for value in values { string(value) }
    }

    /// Opaque bytes: their count, then the bytes.
    mutating func data(_ value: [UInt8]) {
        unsigned(UInt64(value.count))
        writer.write(contentsOf: value)
    }

    mutating func uuid(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { writer.write(contentsOf: $0) }
    }

    mutating func setID(_ value: SetID) {
        writer.writeBigEndian(value.value)
    }
}

/// Reads the fields of the compact binary event encoding, failing with a reason instead of trapping. The
/// fixed-size reads are inlined: a replay decodes millions of votes through them.
struct FieldReader {
    /// Valid while the reader is used: callers read in place, inside `withUnsafeBytes` or a log visit.
    let bytes: UnsafeRawBufferPointer
    var index: Int
    let type: EventType?

    func failure(_ reason: String) -> EventCodingError {
        .malformed(type: type, reason: "\(reason) at byte \(index)")
    }

    @inline(__always)
    mutating func byte() throws(EventCodingError) -> UInt8 {
        guard index < bytes.count else { throw failure("unexpected end") }
        defer { index += 1 }
        return bytes.load(fromByteOffset: index, as: UInt8.self)
    }

    @inline(__always)
    mutating func unsigned() throws(EventCodingError) -> UInt64 {
        let start = index
        var end = index
        guard let value = Varint.decode(bytes, at: &end) else {
            throw failure(bytes.count - start >= 10 ? "varint longer than 10 bytes" : "unexpected end")
        }
        index = end
        return value
    }

    @inline(__always)
    mutating func signed() throws(EventCodingError) -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func count(limit: Int) throws(EventCodingError) -> Int {
        let value = try unsigned()
        guard value <= UInt64(limit), value <= UInt64(bytes.count - index) else {
            throw failure("length \(value) exceeds what remains")
        }
        return Int(value)
    }

    mutating func string() throws(EventCodingError) -> String {
        let length = try count(limit: 1 << 20)
        defer { index += length }
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[index..<index + length]), as: UTF8.self) else {
            throw failure("string is not UTF-8")
        }
        return text
    }

    mutating func data() throws(EventCodingError) -> [UInt8] {
        let length = try count(limit: 1 << 20)
        defer { index += length }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[index..<index + length]))
    }

    mutating func strings() throws(EventCodingError) -> [String] {
        let total = try count(limit: 10_000)
        var values: [String] = []
        values.reserveCapacity(total)
        for _ in 0..<total { values.append(try string()) }
        return values
    }

    @inline(__always)
    private mutating func take16<T>(_ read: (UnsafeRawBufferPointer) -> T) throws(EventCodingError) -> T {
        guard bytes.count - index >= 16 else { throw failure("unexpected end") }
        defer { index += 16 }
        return read(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 16]))
    }

    @inline(__always)
    mutating func uuid() throws(EventCodingError) -> UUID {
        try take16 { UUID(loadingFrom: $0) }
    }

    @inline(__always)
    mutating func setID() throws(EventCodingError) -> SetID {
        try take16 { raw in
            let high = UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
            let low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            return SetID(value: UInt128(high) << 64 | UInt128(low))
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body with a typed error (the standard one rethrows untyped errors): the
    /// error travels in a Result.
    func withUnsafeBytes<T>(typed body: (UnsafeRawBufferPointer) throws(EventCodingError) -> T) throws(EventCodingError) -> T {
        try withUnsafeBytes({ raw in Result { () throws(EventCodingError) in try body(raw) } }).get()
    }
}
