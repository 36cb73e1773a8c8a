import ByteCoding
import Foundation

/// A film, by its Letterboxd slug (`the-godfather`, `alien-1979`).
public struct MovieID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let slug: String

    /// Accepts lowercase ASCII letters, digits and single inner hyphens, 1–200 characters.
    public init(_ slug: String) throws(EventValidationError) {
        let bytes = Array(slug.utf8)
        let valid = (1...200).contains(bytes.count)
            && bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
            && bytes.first != 45 && bytes.last != 45
        guard valid else { throw EventValidationError(field: "movieID", reason: "'\(slug)' is not a Letterboxd film slug") }
        self.slug = slug
    }

    public var description: String { slug }
    public static func < (lhs: MovieID, rhs: MovieID) -> Bool { lhs.slug < rhs.slug }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try MovieID(container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(slug)
    }
}

/// A top-4 set: 128 bits derived from its owner and its films in order, written as 32 lowercase hex digits.
public struct SetID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let value: UInt128

    public init(value: UInt128) {
        self.value = value
    }

    /// The identity of `owner`'s favourites in this order: FNV-1a (128-bit) over the owner's name and the
    /// slugs, each followed by a zero byte. The same owner and films give the same set, always.
    public init(owner: String, movies: [MovieID]) {
        var hash: UInt128 = 0x6C62_272E_07BB_0142_62B8_2175_6295_C58D
        let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
        for part in [owner] + movies.map(\.slug) {
            for byte in part.utf8 + [0] {
                hash ^= UInt128(byte)
                hash = hash &* prime
            }
        }
        value = hash
    }

    public init(hex: String) throws(EventValidationError) {
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
              let value = UInt128(hex, radix: 16)
        else { throw EventValidationError(field: "setID", reason: "'\(hex)' is not 32 lowercase hex digits") }
        self.value = value
    }

    public var description: String { String(decoding: hexDigits, as: UTF8.self) }

    /// The 32 lowercase hex digits, written directly (generic 128-bit radix conversion is slow).
    var hexDigits: [UInt8] {
        var digits = [UInt8](repeating: 0, count: 32)
        var rest = value
        for index in stride(from: 31, through: 0, by: -1) {
            digits[index] = hexAlphabet[Int(UInt8(truncatingIfNeeded: rest) & 0xF)]
            rest >>= 4
        }
        return digits
    }

    public static func < (lhs: SetID, rhs: SetID) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try SetID(hex: container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

let hexAlphabet = Array("0123456789abcdef".utf8)

extension UUID {
    /// A random (version 4) UUID from the system's random bytes (`arc4random_buf`, which glibc fills with
    /// one `getrandom` call). Foundation's `UUID()` opens, reads and closes `/dev/urandom` on Linux for
    /// every id, which showed up in profiles of the vote and comparison routes.
    public static func random() -> UUID {
        var bytes = uuid_t(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            arc4random_buf(raw.baseAddress!, raw.count)
            raw[6] = raw[6] & 0x0F | 0x40
            raw[8] = raw[8] & 0x3F | 0x80
            return UUID(loadingFrom: UnsafeRawBufferPointer(raw))
        }
    }
}

/// A registered MovieMash user.
public typealias UserID = UUID
/// One cast vote.
public typealias VoteID = UUID
/// A signed offer of one pair to one voter; a vote spends it.
public typealias TicketID = UUID

/// A field of an event that breaks the catalogue's rules.
public struct EventValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
