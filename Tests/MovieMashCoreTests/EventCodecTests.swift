import Foundation
import Testing
import TestSupport

@testable import MovieMashCore

@Suite struct EventCodecTests {
    static func samples() -> [EventEnvelope] {
        var sample = SampleEvents(seed: 5, films: 30, sets: 10, voters: 10)
        var events = sample.catalogueEvents()
        for _ in 0..<50 { events.append(sample.nextVote()) }
        let at = Timestamp(milliseconds: 1_793_491_200_123)
        events.append(EventEnvelope(occurredAt: at, event: .movieCatalogued(try! MovieCatalogued(
            movieID: MovieID("untitled-kiarostami-project"), letterboxdID: 999_999, title: "Untitled — 映画 «projet»",
            year: nil, directors: [], genres: []))))
        events.append(EventEnvelope(occurredAt: at, event: .movieCatalogued(try! MovieCatalogued(
            movieID: MovieID("the-godfather-ml127"), letterboxdID: 127, title: "The Godfather", year: 1972, directors: [],
            genres: ["Crime"], poster: "https://a.ltrbxd.com/resized/film-poster/godfather.jpg", source: .movielens))))
        events.append(EventEnvelope(occurredAt: at, event: .top4SetScraped(try! Top4SetScraped(
            letterboxdUser: "X", movieIDs: [MovieID("a"), MovieID("b-2"), MovieID("c"), MovieID("d")],
            scrapedAt: Timestamp(milliseconds: at.milliseconds - 86_400_000)))))
        let user = UUID(), seal = try! SealedPersonalData((0..<61).map { UInt8($0 * 7 % 256) })
        events.append(EventEnvelope(occurredAt: at, event: .userRegistered(UserRegistered(userID: user, personal: .sealed(seal)))))
        events.append(EventEnvelope(occurredAt: at, event: .passwordChanged(PasswordChanged(userID: user, sealed: seal))))
        events.append(EventEnvelope(occurredAt: at, event: .signedOut(SignedOut(
            userID: user, tokenID: UUID(), expiresAt: Timestamp(milliseconds: at.milliseconds + 3_600_000)))))
        events.append(EventEnvelope(occurredAt: at, event: .letterboxdClaimed(LetterboxdClaimed(userID: user, sealed: seal))))
        events.append(EventEnvelope(occurredAt: at, event: .userErased(UserErased(userID: user))))
        return events
    }

    @Test func jsonWriterWritesEveryIntegerAsJSONReadsIt() throws {
        var json = JSONWriter()
        json.beginArray()
        let signed: [Int64] = [0, 7, -7, 10, -10, 1_000_000_007, .max, .min]
        for value in signed { json.integer(value) }
        json.integer(UInt64.max)
        json.integer(Int8(-128))
        json.beginObject()
        json.key("a"); json.integer(1)
        json.key("b"); json.integer(-2)
        json.endObject()
        json.endArray()
        #expect(String(decoding: json.bytes, as: UTF8.self)
            == #"[0,7,-7,10,-10,1000000007,9223372036854775807,-9223372036854775808,18446744073709551615,-128,{"a":1,"b":-2}]"#)
    }

    @Test func jsonWriterWritesUUIDsAsUUIDStringDoes() {
        var json = JSONWriter()
        json.beginArray()
        let ids = (0..<100).map { _ in UUID.random() } + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))]
        for id in ids { json.uuid(id) }
        json.endArray()
        #expect(String(decoding: json.bytes, as: UTF8.self) == "[" + ids.map { "\"\($0.uuidString)\"" }.joined(separator: ",") + "]")
    }

    @Test func randomUUIDsAreVersion4AndDistinct() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.uuid.6 >> 4 == 4 && id.uuid.8 >> 6 == 0b10, "\(id)")
            #expect(UUID(uuidString: id.uuidString) == id)
        }
        // Every other bit varies: OR-ing all ids sets them, AND-ing clears them (a stuck bit would show).
        var any = [UInt8](repeating: 0, count: 16), all = [UInt8](repeating: 0xFF, count: 16)
        for id in ids {
            withUnsafeBytes(of: id.uuid) { bytes in
                for index in 0..<16 {
                    any[index] |= bytes[index]
                    all[index] &= bytes[index]
                }
            }
        }
        #expect(any == (0..<16).map { $0 == 6 ? 0x4F : $0 == 8 ? 0xBF : 0xFF })
        #expect(all == (0..<16).map { $0 == 6 ? 0x40 : $0 == 8 ? 0x80 : 0x00 })
    }

    @Test func everyEventRoundTripsThroughBinaryAndJSON() throws {
        for envelope in Self.samples() {
            let bytes = EventCodec.encode(envelope.event, occurredAt: envelope.occurredAt)
            let decoded = try EventCodec.decode(bytes, eventID: envelope.eventID, occurredAt: envelope.occurredAt, position: 9)
            #expect(decoded.event == envelope.event)
            #expect(decoded.position == 9)
            let json = EventCodec.json(decoded)
            #expect(try EventCodec.decodeJSON(json) == decoded)
        }
    }

    @Test func voteIsCompactInBinary() {
        var sample = SampleEvents(seed: 1)
        let vote = sample.nextVote()
        let binary = EventCodec.encode(vote.event, occurredAt: vote.occurredAt)
        #expect(binary.count <= 90)
        #expect(binary.count * 3 < EventCodec.json(vote).count)
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        for envelope in Self.samples().prefix(80) {
            let bytes = EventCodec.encode(envelope.event, occurredAt: envelope.occurredAt)
            for length in 0..<bytes.count {
                #expect(throws: EventCodingError.self) {
                    try EventCodec.decode(Array(bytes[..<length]), eventID: envelope.eventID, occurredAt: envelope.occurredAt)
                }
            }
            #expect(throws: EventCodingError.self) {
                try EventCodec.decode(bytes + [0], eventID: envelope.eventID, occurredAt: envelope.occurredAt)
            }
        }
    }

    @Test func unknownTypesAndNewerVersionsFailClearly() throws {
        let vote = Self.samples().last { $0.type == .voteCast }!
        var bytes = EventCodec.encode(vote.event, occurredAt: vote.occurredAt)
        bytes[0] = 99
        #expect(throws: EventCodingError.unknownType("tag 99")) {
            try EventCodec.decode(bytes, eventID: vote.eventID, occurredAt: vote.occurredAt)
        }
        bytes[0] = EventType.voteCast.tag
        bytes[1] = 2
        let newer = EventCodingError.unsupportedSchemaVersion(type: .voteCast, version: 2, newest: 1)
        #expect(throws: newer) { try EventCodec.decode(bytes, eventID: vote.eventID, occurredAt: vote.occurredAt) }
        #expect(newer.description.contains("newer than this build reads"))

        var json = try JSONSerialization.jsonObject(with: EventCodec.json(vote)) as! [String: Any]
        json["schemaVersion"] = 3
        #expect(throws: EventCodingError.unsupportedSchemaVersion(type: .voteCast, version: 3, newest: 1)) {
            try EventCodec.decodeJSON(JSONSerialization.data(withJSONObject: json))
        }
        json["type"] = "VoteRetracted"
        #expect(throws: EventCodingError.unknownType("VoteRetracted")) {
            try EventCodec.decodeJSON(JSONSerialization.data(withJSONObject: json))
        }
    }

    /// Version 1 of `MovieCatalogued` (year required, stored as a plain varint) still decodes, upcast to
    /// the current version. These bytes were written by the version 1 encoder and must never change.
    @Test func movieCataloguedVersion1IsUpcast() throws {
        let v1: [UInt8] = [
            0x01, 0x01,  // tag MovieCatalogued, schema version 1
            0x0E] + Array("stalker-1979-1".utf8) + [0xB9, 0x60]  // slug, letterboxdID 12345
            + [0x07] + Array("Stalker".utf8) + [0xBB, 0x0F]  // title, year 1979
            + [0x01, 0x10] + Array("Andrei Tarkovsky".utf8) + [0x00]  // directors, no genres
        let at = Timestamp(milliseconds: 300_000_000_000)
        let id = UUID()
        let decoded = try EventCodec.decode(v1, eventID: id, occurredAt: at)
        let expected = try MovieCatalogued(
            movieID: MovieID("stalker-1979-1"), letterboxdID: 12345, title: "Stalker", year: 1979,
            directors: ["Andrei Tarkovsky"], genres: [])
        #expect(decoded.event == .movieCatalogued(expected))
        #expect(decoded.schemaVersion == 3)

        let v1JSON = """
            {"eventID":"\(id.uuidString)","type":"MovieCatalogued","schemaVersion":1,"occurredAt":"1979-07-05T05:20:00Z",
             "payload":{"movieID":"stalker-1979-1","letterboxdID":12345,"title":"Stalker","year":1979,
                        "directors":["Andrei Tarkovsky"],"genres":[]}}
            """
        #expect(try EventCodec.decodeJSON(Data(v1JSON.utf8)).event == .movieCatalogued(expected))
        let v1WithoutYear = v1JSON.replacingOccurrences(of: "\"year\":1979,", with: "")
        #expect(throws: EventCodingError.self) { try EventCodec.decodeJSON(Data(v1WithoutYear.utf8)) }
    }

    /// Version 2 of `MovieCatalogued` (no poster, no source) decodes as a Letterboxd film without a poster,
    /// and its JSON may not carry version 3's fields. These bytes were written by the version 2 encoder.
    @Test func movieCataloguedVersion2IsUpcast() throws {
        let v2: [UInt8] = [
            0x01, 0x02,  // tag MovieCatalogued, schema version 2
            0x0E] + Array("stalker-1979-1".utf8) + [0xB9, 0x60]  // slug, letterboxdID 12345
            + [0x07] + Array("Stalker".utf8) + [0xBC, 0x0F]  // title, year 1979 + 1
            + [0x01, 0x10] + Array("Andrei Tarkovsky".utf8) + [0x00]  // directors, no genres
        let at = Timestamp(milliseconds: 300_000_000_000)
        let decoded = try EventCodec.decode(v2, eventID: UUID(), occurredAt: at)
        let expected = try MovieCatalogued(
            movieID: MovieID("stalker-1979-1"), letterboxdID: 12345, title: "Stalker", year: 1979,
            directors: ["Andrei Tarkovsky"], genres: [])
        #expect(decoded.event == .movieCatalogued(expected) && expected.poster == nil && expected.source == .letterboxd)
        #expect(decoded.schemaVersion == 3)
        let reencoded = EventCodec.encode(decoded.event, occurredAt: at)
        #expect(reencoded == [0x01, 0x03] + v2.dropFirst(2) + [0x00, 0x00], "version 3 appends an empty poster and source 0")

        let v2JSON = """
            {"eventID":"\(UUID().uuidString)","type":"MovieCatalogued","schemaVersion":2,"occurredAt":"1979-07-05T05:20:00Z",
             "payload":{"movieID":"stalker-1979-1","letterboxdID":12345,"title":"Stalker","directors":[],"genres":[]}}
            """
        #expect(try EventCodec.decodeJSON(Data(v2JSON.utf8)).schemaVersion == 3)
        let v2WithPoster = v2JSON.replacingOccurrences(of: "\"genres\":[]", with: "\"genres\":[],\"poster\":\"https://x.example/p.jpg\"")
        #expect(throws: EventCodingError.self) { try EventCodec.decodeJSON(Data(v2WithPoster.utf8)) }
    }

    @Test func aForgedSetIDIsRejected() throws {
        let set = try Top4SetScraped(
            letterboxdUser: "dave", movieIDs: [MovieID("a"), MovieID("b"), MovieID("c"), MovieID("d")],
            scrapedAt: Timestamp(milliseconds: 0))
        #expect(throws: EventValidationError.self) {
            try Top4SetScraped(setID: SetID(value: set.setID.value ^ 1), letterboxdUser: "dave",
                               movieIDs: set.movieIDs, scrapedAt: set.scrapedAt)
        }
        // The derivation is part of the format: this value must never change.
        #expect(set.setID.description == SetID(owner: "dave", movies: set.movieIDs).description)
        #expect(set.setID.description.count == 32)
        #expect(SetID(owner: "", movies: []).value == 0x6C62_272E_07BB_0142_62B8_2175_6295_C58D &* 0x0000_0000_0100_0000_0000_0000_0000_013B)
    }

    @Test func timestampsMatchFoundationsRFC3339() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var random = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &random)
            let timestamp = Timestamp(milliseconds: milliseconds)
            let foundation = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(timestamp.description == foundation)
            #expect(Timestamp(rfc3339: timestamp.description) == timestamp)
        }
        #expect(Timestamp(rfc3339: "2026-11-26T15:55:40.5+01:00")?.description == "2026-11-26T14:55:40.500Z")
        #expect(Timestamp(rfc3339: "2026-11-26T14:55:40Z")?.milliseconds == 1_795_704_940_000)
        for bad in ["2026-11-26", "2026-13-01T00:00:00Z", "2026-11-26T14:55:40", "2026-11-26T14:55:40.Z", "x"] {
            #expect(Timestamp(rfc3339: bad) == nil)
        }
    }
}

@Suite struct JSONWriterTests {
    /// The hand-written JSON equals what Foundation's encoder writes for the same envelope, value for value.
    @Test func writtenJSONMatchesFoundationsEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var envelopes = EventCodecTests.samples()
        envelopes.append(EventEnvelope(position: 7, occurredAt: Timestamp(milliseconds: 5), event: .movieCatalogued(try MovieCatalogued(
            movieID: MovieID("odd-title"), letterboxdID: 1, title: "Quote \" back\\slash\ttab\nline \u{01} / é 映画",
            year: 1999, directors: ["A \"B\""], genres: []))))
        for var envelope in envelopes {
            envelope.position = envelope.position ?? 3
            let ours = try JSONSerialization.jsonObject(with: EventCodec.json(envelope)) as! NSDictionary
            let foundation = try JSONSerialization.jsonObject(with: encoder.encode(envelope)) as! NSDictionary
            #expect(ours == foundation)
            #expect(try EventCodec.decodeJSON(EventCodec.json(envelope)) == envelope)
        }
    }
}
