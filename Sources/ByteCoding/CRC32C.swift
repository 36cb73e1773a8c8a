import CCRC32C
import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every log batch, segment header,
/// snapshot file and migration.
///
/// Written here because none of the packages we may depend on ships CRC-32C and Debian 12 has no
/// `libcrc32c-dev`. It runs on the processor's CRC-32C instruction where there is one (`CCRC32C`: SSE 4.2,
/// or AArch64's CRC extension), since a replay checks every byte it reads; slicing-by-8 tables otherwise.
public enum CRC32C {
    /// How a checksum is computed.
    public enum Implementation: Sendable, CaseIterable {
        /// The processor's instruction.
        case hardware
        /// Slicing-by-8 tables: any processor.
        case table
    }

    /// What this processor uses: decided once.
    public static let implementation: Implementation = moviemash_crc32c_hardware_available() != 0 ? .hardware : .table

    /// Eight 256-entry tables laid end to end: entry `slice * 256 + byte`.
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// The checksum of `bytes`, continuing from `crc` (the checksum of what came before, or 0).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        checksum(bytes, continuing: crc, using: implementation)
    }

    /// The checksum by a chosen implementation (`hardware` only where `implementation` is): tests compare them.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0, using implementation: Implementation) -> UInt32 {
        switch implementation {
        case .hardware:
            precondition(self.implementation == .hardware, "this processor has no CRC-32C instruction")
            guard let base = bytes.baseAddress else { return crc }
            return ~moviemash_crc32c_hardware(~crc, base, bytes.count)
        case .table:
            return tableChecksum(bytes, continuing: crc)
        }
    }

    private static func tableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        var value = ~crc
        let count = bytes.count
        var index = 0
        table.withUnsafeBufferPointer { t in
            while index + 8 <= count {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ value
                let high = UInt32(truncatingIfNeeded: word >> 32)
                value = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                value = t[Int((value ^ UInt32(bytes[index])) & 0xFF)] ^ (value >> 8)
                index += 1
            }
        }
        return ~value
    }

    /// The checksum of `bytes`, continuing from `crc`.
    public static func checksum(_ bytes: some ContiguousBytes, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
