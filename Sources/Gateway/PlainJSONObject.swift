/// A JSON object whose members are all plain strings, as a vote's body is (`{"ticket":"t1.…","winner":"setA"}`):
/// printable ASCII, no escapes, no nesting, no repeated names, at most `maximumMembers` of them.
///
/// Foundation's `JSONDecoder` and its Codable machinery took more CPU than the rest of the vote route, for
/// a body of two short strings. Any body outside this narrow shape is not read here (nil): the caller decodes
/// it with `JSONDecoder`, so it is accepted or refused exactly as before, with the same errors. Within the
/// shape, what this reads is what `JSONDecoder` reads (the fuzzer's `bodies` target checks that).
struct PlainJSONObject {
    static let maximumMembers = 16

    private var members: [(name: String, value: String)] = []

    /// The object in `bytes`, or nil if they hold anything but a plain object of plain strings.
    init?(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }
        func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                // A control character is invalid JSON, an escape or a non-ASCII byte needs decoding: all
                // are left to JSONDecoder.
                guard (0x20..<0x80).contains(bytes[index]), bytes[index] != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)]), as: UTF8.self)
        }
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipWhitespace()
        if !take(UInt8(ascii: "}")) {
            while true {
                guard members.count < Self.maximumMembers, let name = string() else { return nil }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                guard let value = string(), !members.contains(where: { $0.name == name }) else { return nil }
                members.append((name, value))
                skipWhitespace()
                if take(UInt8(ascii: "}")) { break }
                guard take(UInt8(ascii: ",")) else { return nil }
                skipWhitespace()
            }
        }
        skipWhitespace()
        guard index == bytes.count else { return nil }
    }

    /// The value of the member `name`, nil if there is none.
    subscript(name: String) -> String? {
        members.first { $0.name == name }?.value
    }
}

/// A request body with a fast path for its plain shape (see `PlainJSONObject`).
protocol PlainJSONDecodable: Decodable {
    /// The value `object` holds, or nil if it is not one: the body then goes to `JSONDecoder`, whose error
    /// the client gets.
    init?(plain object: PlainJSONObject)
}
