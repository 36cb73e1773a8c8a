import Foundation
import Hummingbird

/// What every route reads from a request the same way: paging and JSON bodies, with the problems their
/// mistakes get.
enum Requests {
    /// `offset` (default 0) and `limit` (1…100, default 20) from the query.
    static func paging(_ request: Request) throws -> (offset: Int, limit: Int) {
        let query = request.uri.queryParameters
        func number(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = query[name[...]].map(String.init) else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw Problem(.badRequest, type: "invalid-paging", title: "Invalid paging", detail: "\(name) must be a whole number in \(range.lowerBound)…\(range.upperBound), not '\(text)'")
            }
            return number
        }
        return (try number("offset", default: 0, range: 0...Int(Int32.max)), try number("limit", default: 20, range: 1...100))
    }

    /// Shared by every request: making a decoder per request cost half as much as decoding a vote with it.
    private static let jsonDecoder = JSONDecoder()

    /// Reads at most `limit` bytes of JSON body as `T`, with 415, 413 and 400 problems for the rest. The
    /// body must be declared JSON: another site's page can send a plain form or text cross-origin without
    /// asking first, but not `application/json`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let declared = request.headers.value(.contentType) ?? ""
        let mediaType = declared.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as JSON with Content-Type: application/json" + (declared.isEmpty ? " (none was given)" : ", not \(declared)"))
        }
        var request = request
        return try decode(T.self, fromJSON: try await request.collectBody(upTo: limit))
    }

    /// `body` as JSON of `T`, or a 400 problem. A `PlainJSONDecodable` body in its plain shape is read
    /// without `JSONDecoder`.
    static func decode<T: Decodable>(_ type: T.Type, fromJSON body: ByteBuffer) throws(Problem) -> T {
        if let plain = T.self as? any PlainJSONDecodable.Type,
           let value = body.withUnsafeReadableBytes({ PlainJSONObject($0).flatMap(plain.init(plain:)) }) as? T {
            return value
        }
        do {
            return try jsonDecoder.decode(T.self, from: Data(buffer: body))
        } catch {
            throw Problem(.badRequest, type: "malformed-json", title: "Malformed JSON", detail: Self.plainWords(error))
        }
    }

    /// What is wrong with a JSON body, in words for the person sending it (never the decoder's internals).
    static func plainWords(_ error: any Error) -> String {
        func field(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the body" : "'" + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "text"
            case is Bool.Type: "true or false"
            case is Int.Type, is Int64.Type, is UInt64.Type, is Double.Type, is Float.Type: "a number"
            case is [Any].Type: "a list"
            default: "an object"
            }
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(field(context.codingPath + [key])) is missing"
        case DecodingError.valueNotFound(let type, let context):
            return "\(field(context.codingPath)) must be \(kind(type)), not null"
        case DecodingError.typeMismatch(let type, let context):
            return "\(field(context.codingPath)) must be \(kind(type))"
        case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the body is not JSON"
        case DecodingError.dataCorrupted(let context):
            return "\(field(context.codingPath)) has a value that is not allowed"
        default:
            return "the body is not the expected JSON"
        }
    }
}
