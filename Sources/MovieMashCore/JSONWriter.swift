import Foundation

/// Writes the JSON of events directly, keys sorted, without Foundation's `JSONEncoder`: the mirror turns
/// every event into JSON, and the encoder's reflection-driven path made that its bottleneck. The output
/// decodes with `JSONDecoder` to the same values (the codec tests check it).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init() {
        bytes.reserveCapacity(384)
    }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    mutating func string(_ value: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func strings(_ values: [String]) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for value in values { string(value) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func integer(_ value: some BinaryInteger) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: String(value).utf8)
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
            key("title"); string(e.title)
            if let year = e.year { key("year"); integer(year) }
        case .top4SetScraped(let e):
            key("letterboxdUser"); string(e.letterboxdUser)
            key("movieIDs"); strings(e.movieIDs.map(\.slug))
            key("scrapedAt"); string(e.scrapedAt.description)
            key("setID"); string(e.setID.description)
        case .userRegistered(let e):
            key("passwordHash"); string(e.passwordHash)
            key("userID"); string(e.userID.uuidString)
            key("username"); string(e.username)
        case .voteCast(let e):
            key("castAt"); string(e.castAt.description)
            key("setA"); string(e.setA.description)
            key("setB"); string(e.setB.description)
            key("ticketID"); string(e.ticketID.uuidString)
            key("userID"); string(e.userID.uuidString)
            key("voteID"); string(e.voteID.uuidString)
            key("winner"); string(e.winner.rawValue)
        }
        endObject()
    }

    mutating func envelope(_ envelope: EventEnvelope) {
        beginObject()
        key("eventID"); string(envelope.eventID.uuidString)
        key("occurredAt"); string(envelope.occurredAt.description)
        key("payload"); payload(envelope.event)
        if let position = envelope.position { key("position"); integer(position) }
        key("schemaVersion"); integer(envelope.schemaVersion)
        key("type"); string(envelope.type.rawValue)
        endObject()
    }
}
