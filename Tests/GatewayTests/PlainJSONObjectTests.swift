import Foundation
@testable import Gateway
import MovieMashCore
import NIOCore
import Testing

@Suite struct PlainJSONObjectTests {
    private func plain(_ text: String) -> PlainJSONObject? {
        Array(text.utf8).withUnsafeBytes { PlainJSONObject($0) }
    }

    private func foundation(_ text: String) -> VoteRequest? {
        try? JSONDecoder().decode(VoteRequest.self, from: Data(text.utf8))
    }

    @Test func readsPlainObjectsWithAnyJSONWhitespace() throws {
        let object = try #require(plain(" \r\n\t{ \"ticket\" :\t\"t1.k.abc-_\" ,\n\"winner\":\"setB\",\"extra\":\"\" }\n"))
        #expect(object["ticket"] == "t1.k.abc-_")
        #expect(object["winner"] == "setB")
        #expect(object["extra"] == "")
        #expect(object["missing"] == nil)
        #expect(plain("{}") != nil)
        #expect(plain(" { } ")?["ticket"] == nil)
    }

    @Test func leavesEverythingOutsideThePlainShapeToJSONDecoder() {
        let outside = [
            "", "[]", "\"text\"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":\"b\",}", "{,}", "{\"a\":\"b\"} x", "{\"a\":\"b\"}{}",
            "{\"a\":1}", "{\"a\":null}", "{\"a\":true}", "{\"a\":{}}", "{\"a\":[\"b\"]}", "{\"a\":\"b\\\"c\"}", "{\"a\":\"\\u0041\"}",
            "{\"a\":\"é\"}", "{\"é\":\"a\"}", "{\"a\":\"b\nc\"}", "{\"a\":\"b\",\"a\":\"c\"}", "{'a':'b'}", "{\"a\" \"b\"}",
            "\u{FEFF}{}", "{\"a\":\"b\"\u{0}}",
        ]
        for text in outside { #expect(plain(text) == nil, "\(text.debugDescription)") }
        let many = "{" + (0...PlainJSONObject.maximumMembers).map { "\"k\($0)\":\"v\"" }.joined(separator: ",") + "}"
        #expect(plain(many) == nil)
    }

    @Test func aVoteReadPlainIsTheVoteJSONDecoderReads() throws {
        let body = #"{"ticket":"t1.k.payload.mac","winner":"setA"}"#
        let fast = try #require(plain(body).flatMap(VoteRequest.init(plain:)))
        #expect(fast.ticket == foundation(body)?.ticket)
        #expect(fast.winner == foundation(body)?.winner)
        // Shapes a vote's fields cannot take are not votes here, whatever JSONDecoder says of them.
        for text in [#"{"ticket":"t"}"#, #"{"winner":"setA"}"#, #"{"ticket":"t","winner":"setC"}"#, #"{"ticket":"t","winner":"SETA"}"#] {
            #expect(plain(text).flatMap(VoteRequest.init(plain:)) == nil, "\(text)")
        }
    }

    /// The property that makes the fast path safe: for bodies near a vote's (each a valid vote changed in a
    /// few random bytes), whatever the plain reading accepts, JSONDecoder accepts as the same vote.
    @Test func mutatedVotesAreReadPlainOnlyAsJSONDecoderReadsThem() {
        var random = SplitMix64(seed: 23)
        let alphabet = Array(#"{}[]:,"\ \t\nabsetAB01éu"#.utf8)
        let valid = Array(#"{"ticket":"t1.k.x","winner":"setA","n":"1"}"#.utf8)
        var readPlain = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where index < bytes.count: bytes.remove(at: index)
                case 1 where index < bytes.count: bytes[index] = alphabet.randomElement(using: &random)!
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: index)
                }
            }
            guard let fast = bytes.withUnsafeBytes({ PlainJSONObject($0) }).flatMap(VoteRequest.init(plain:)) else { continue }
            readPlain += 1
            let decoded = try? JSONDecoder().decode(VoteRequest.self, from: Data(bytes))
            #expect(decoded?.ticket == fast.ticket && decoded?.winner == fast.winner, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        // Most single-byte changes inside the strings keep a vote: the property was tested on real cases.
        #expect(readPlain > 1_000)
    }

    @Test func theGatewayDecodesPlainAndOtherBodiesAlike() throws {
        let plainBody = ByteBuffer(string: #"{"ticket":"t1.a","winner":"setB"}"#)
        let escaped = ByteBuffer(string: #"{"ticket":"t1.\u0061","winner":"setB"}"#)
        let fast = try Requests.decode(VoteRequest.self, fromJSON: plainBody)
        let slow = try Requests.decode(VoteRequest.self, fromJSON: escaped)
        #expect(fast.ticket == slow.ticket && fast.winner == slow.winner)
        #expect(throws: Problem.self) { try Requests.decode(VoteRequest.self, fromJSON: ByteBuffer(string: #"{"ticket":"t1.a","winner":"setC"}"#)) }
    }
}
