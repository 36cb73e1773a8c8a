import Foundation

/// A UTC instant with millisecond precision; in JSON an RFC 3339 string such as `2026-11-26T14:55:40.123Z`.
public struct Timestamp: InstantProtocol, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// `date`, rounded to the nearest millisecond.
    public init(_ date: Date) {
        self.init(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// The current time.
    public static var now: Timestamp { Timestamp(Date()) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// This instant moved by `duration` (to the millisecond), so schedules can reckon in wall-clock time.
    public func advanced(by duration: Duration) -> Timestamp {
        Timestamp(milliseconds: milliseconds &+ duration.components.seconds &* 1000 &+ duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The time from this instant to `other`.
    public func duration(to other: Timestamp) -> Duration { .milliseconds(other.milliseconds &- milliseconds) }

    public var description: String { String(decoding: rfc3339Bytes, as: UTF8.self) }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` as bytes, written digit by digit (this runs for every event's JSON).
    var rfc3339Bytes: [UInt8] {
        let (days, millisOfDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let dayNumber = millisOfDay < 0 ? days - 1 : days
        let millis = millisOfDay < 0 ? millisOfDay + 86_400_000 : millisOfDay
        let (year, month, day) = Self.civil(fromDays: dayNumber)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func digits(_ value: Int64, _ width: Int) {
            let text = value >= 0 && value < 10_000 ? nil : Array(String(value).utf8)
            if let text {
                bytes.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - text.count)) + text)
                return
            }
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4); bytes.append(UInt8(ascii: "-"))
        digits(month, 2); bytes.append(UInt8(ascii: "-"))
        digits(day, 2); bytes.append(UInt8(ascii: "T"))
        digits(millis / 3_600_000, 2); bytes.append(UInt8(ascii: ":"))
        digits(millis / 60000 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(millis / 1000 % 60, 2); bytes.append(UInt8(ascii: "."))
        digits(millis % 1000, 3); bytes.append(UInt8(ascii: "Z"))
        return bytes
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…]Z` or with a `±HH:MM` offset; nil if it is not such a string.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84,
              bytes[13] == 58, bytes[16] == 58,
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 3 { millis = millis * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        var offsetMinutes: Int64 = 0
        if index == bytes.count - 1, bytes[index] == 90 {
            offsetMinutes = 0
        } else if index == bytes.count - 6, bytes[index] == 43 || bytes[index] == 45, bytes[index + 3] == 58,
                  let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6) {
            offsetMinutes = (hours * 60 + minutes) * (bytes[index] == 45 ? -1 : 1)
        } else {
            return nil
        }
        let days = Self.days(fromCivil: year, month, day)
        milliseconds = ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an RFC 3339 timestamp")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `days(fromCivil:)`.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
