import Foundation

/// Writes JSON directly, without Foundation's `JSONEncoder`, whose reflection-driven path was the
/// bottleneck of both the mirror (every event becomes JSON) and the gateway (every response). The caller
/// writes keys and values in order; the output decodes with `JSONDecoder` (the codec and route tests check it).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 384) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// A finite number in the shortest form that reads back exactly; a non-finite one (which JSON cannot
    /// express) as `null`.
    public mutating func number(_ value: Double) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    private mutating func open(_ bracket: UInt8) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    public mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key that is not a literal (a log's metadata), escaped as a string is.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0..<0x20:
                    bytes.append(contentsOf: Array("\\u00".utf8) + [hexAlphabet[Int(byte >> 4)], hexAlphabet[Int(byte & 0xF)]])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A value that needs no escaping (hex digits, timestamps), written as a JSON string.
    public mutating func plain(_ value: [UInt8]) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: value)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A UUID in the uppercase form of `UUID.uuidString`, without going through `sprintf`.
    public mutating func uuid(_ value: UUID) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: value.uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(Self.upperHex[Int(byte >> 4)])
                bytes.append(Self.upperHex[Int(byte & 0xF)])
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    public mutating func strings(_ values: [String]) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for value in values { string(value) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func integer(_ value: some BinaryInteger) {
        if let value = Int64(exactly: value) {
            integer(value)
        } else {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(value).utf8)
            needsComma = true
        }
    }

    /// Digits straight into the output: `String(value)` allocated a string per number.
    public mutating func integer(_ value: Int64) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
        needsComma = true
    }

    mutating func payload(_ event: Event) {
        beginObject()
        switch event {
        case .movieCatalogued(let e):
            key("directors"); strings(e.directors)
            key("genres"); strings(e.genres)
            key("letterboxdID"); integer(e.letterboxdID)
            key("movieID"); string(e.movieID.slug)
            if let poster = e.poster { key("poster"); string(poster) }
            if e.source != .letterboxd { key("source"); string(e.source.rawValue) }
            key("title"); string(e.title)
            if let year = e.year { key("year"); integer(year) }
        case .top4SetScraped(let e):
            key("letterboxdUser"); string(e.letterboxdUser)
            key("movieIDs"); strings(e.movieIDs.map(\.slug))
            key("scrapedAt"); plain(e.scrapedAt.rfc3339Bytes)
            key("setID"); plain(e.setID.hexDigits)
        case .userRegistered(let e):
            switch e.personal {
            case .plain(let data):
                key("passwordHash"); string(data.passwordHash)
                key("userID"); uuid(e.userID)
                key("username"); string(data.username)
            case .sealed(let sealed):
                key("sealed"); string(sealed.base64)
                key("userID"); uuid(e.userID)
            }
        case .passwordChanged(let e):
            key("sealed"); string(e.sealed.base64)
            key("userID"); uuid(e.userID)
        case .signedOut(let e):
            key("expiresAt"); plain(e.expiresAt.rfc3339Bytes)
            key("tokenID"); uuid(e.tokenID)
            key("userID"); uuid(e.userID)
        case .userErased(let e):
            key("userID"); uuid(e.userID)
        case .letterboxdClaimed(let e):
            key("sealed"); string(e.sealed.base64)
            key("userID"); uuid(e.userID)
        case .voteCast(let e):
            key("castAt"); plain(e.castAt.rfc3339Bytes)
            key("setA"); plain(e.setA.hexDigits)
            key("setB"); plain(e.setB.hexDigits)
            key("ticketID"); uuid(e.ticketID)
            key("userID"); uuid(e.userID)
            key("voteID"); uuid(e.voteID)
            key("winner"); string(e.winner.rawValue)
        }
        endObject()
    }

    mutating func envelope(_ envelope: EventEnvelope) {
        beginObject()
        key("eventID"); uuid(envelope.eventID)
        key("occurredAt"); plain(envelope.occurredAt.rfc3339Bytes)
        key("payload"); payload(envelope.event)
        if let position = envelope.position { key("position"); integer(position) }
        key("schemaVersion"); integer(envelope.schemaVersion)
        key("type"); string(envelope.type.rawValue)
        endObject()
    }
}
