import Foundation
import Testing
import TestSupport

@testable import MovieMashCore

/// The JSON Schemas in `Schemas/events` and the Swift codec accept and reject the same payloads, judged by
/// the reference validator (Python `jsonschema`, Draft 2020-12, formats checked).
@Suite struct SchemaAgreementTests {
    static let schemas = repositoryRoot.appendingPathComponent("Schemas/events")

    struct Case {
        var schema: String
        var envelope: [String: Any]
        var description: String
        /// A rule JSON Schema cannot state (it cannot compare two fields or hash them); the schema names it in
        /// its `$comment`, and only the codec enforces it.
        var codecOnly = false
    }

    @Test func theSchemaFolderHoldsExactlyOneSchemaPerReadableVersion() throws {
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: Self.schemas.path))
        let expected = Set(EventType.allCases.flatMap { type in type.readableSchemaVersions.map { "\(type.rawValue).v\($0).json" } })
        #expect(files == expected.union(["envelope.json"]))
    }

    @Test func schemasAndCodecAgreeOnValidAndInvalidPayloads() async throws {
        var cases: [Case] = []
        var seen = Set<String>()
        for envelope in EventCodecTests.samples()
        where seen.insert("\(envelope.type.rawValue).v\(envelope.schemaVersion)").inserted || envelope.type == .movieCatalogued {
            let object = try JSONSerialization.jsonObject(with: EventCodec.json(envelope)) as! [String: Any]
            cases.append(Case(schema: "\(envelope.type.rawValue).v\(envelope.schemaVersion).json", envelope: object, description: "valid"))
            cases += mutations(of: object)
        }
        cases += legacyCases()
        let swiftAccepts = cases.map { (try? EventCodec.decodeJSON(JSONSerialization.data(withJSONObject: $0.envelope))) != nil }
        let python = try await validateWithJSONSchema(cases)
        #expect(cases.count > 100)
        #expect(swiftAccepts.contains(true) && swiftAccepts.contains(false))
        for (index, testCase) in cases.enumerated() where testCase.codecOnly {
            #expect(!swiftAccepts[index] && python[index].valid, "\(testCase.schema) \(testCase.description)")
        }
        for (index, testCase) in cases.enumerated() where !testCase.codecOnly {
            #expect(swiftAccepts[index] == python[index].valid,
                    "\(testCase.schema) \(testCase.description): Swift \(swiftAccepts[index]), schema \(python[index].valid) \(python[index].error ?? "")")
        }
    }

    /// Each payload broken one way at a time: a field missing, an unknown field, a wrong type, a bad value.
    private func mutations(of envelope: [String: Any]) -> [Case] {
        let schema = "\(envelope["type"]!).v\(envelope["schemaVersion"]!).json"
        let payload = envelope["payload"] as! [String: Any]
        var cases: [Case] = []
        func add(_ description: String, codecOnly: Bool = false, _ change: (inout [String: Any]) -> Void) {
            var changed = payload
            change(&changed)
            var wrapped = envelope
            wrapped["payload"] = changed
            cases.append(Case(schema: schema, envelope: wrapped, description: description, codecOnly: codecOnly))
        }
        for key in payload.keys {
            add("without \(key)") { $0.removeValue(forKey: key) }
            add("\(key) of the wrong type") { $0[key] = $0[key] is String ? 12 : "12" }
            add("\(key) null") { $0[key] = NSNull() }
        }
        add("with an unknown field") { $0["rating"] = 5 }
        let badValues: [String: [Any]] = [
            "movieID": ["The Godfather", "-alien", "alien-", ""],
            "letterboxdID": [0, -4],
            "title": ["", "   "],
            "year": [1500, 2500],
            "directors": [[""], [3]],
            "genres": [Array(repeating: "Drama", count: 51)],
            "poster": ["http://a.ltrbxd.com/p.jpg", "https://", "https://a b", "https://a\u{A0}b", "https://" + String(repeating: "a", count: 1993)],
            "source": ["imdb", "Letterboxd"],
            "setID": ["ABCDEF0123456789ABCDEF0123456789", "abc"],
            "letterboxdUser": ["has space", ""],
            "movieIDs": [["a", "b", "c"], ["a", "b", "c", "d", "e"], ["a", "a", "b", "c"]],
            "scrapedAt": ["yesterday", "2026-11-26 10:00:00Z"],
            "castAt": ["2026-11-26T10:00:00", "1700000000"],
            "userID": ["not-a-uuid", "0F4E"],
            "voteID": ["12345678-1234-1234-1234-12345678901"],
            "ticketID": [""],
            "username": ["ab", "with space"],
            "passwordHash": ["hunter2", "$2b$12$" + String(repeating: "a", count: 52)],
            "winner": ["setC", "A"],
            "sealed": ["not base64 at all!", "AAAA", String(repeating: "A", count: 5468)],
            "tokenID": ["x"],
            "expiresAt": ["soon", "2026-11-26"],
        ]
        for (key, values) in badValues where payload[key] != nil {
            for value in values { add("\(key) = \(value)") { $0[key] = value } }
        }
        if let setA = payload["setA"] {
            add("setB equal to setA", codecOnly: true) { $0["setB"] = setA }
        }
        if let setID = payload["setID"] as? String {
            let forged = String(setID.dropLast()) + (setID.last == "0" ? "1" : "0")
            add("setID not derived from owner and films", codecOnly: true) { $0["setID"] = forged }
        }
        return cases
    }

    private func legacyCases() -> [Case] {
        let payload: [String: Any] = [
            "movieID": "stalker-1979", "letterboxdID": 51_568, "title": "Stalker", "year": 1979,
            "directors": ["Andrei Tarkovsky"], "genres": ["Science Fiction", "Drama"],
        ]
        let envelope: [String: Any] = [
            "eventID": UUID().uuidString, "type": "MovieCatalogued", "schemaVersion": 1,
            "occurredAt": "2026-11-26T10:00:00.000Z", "payload": payload,
        ]
        var noYear = envelope
        noYear["payload"] = payload.filter { $0.key != "year" }
        var v2 = noYear
        v2["schemaVersion"] = 2
        var v2WithPoster = v2
        v2WithPoster["payload"] = payload.merging(["poster": "https://a.ltrbxd.com/p.jpg"]) { $1 }
        return [Case(schema: "MovieCatalogued.v1.json", envelope: envelope, description: "v1 valid"),
                Case(schema: "MovieCatalogued.v1.json", envelope: noYear, description: "v1 without year"),
                Case(schema: "MovieCatalogued.v2.json", envelope: v2, description: "v2 valid"),
                Case(schema: "MovieCatalogued.v2.json", envelope: v2WithPoster, description: "v2 with a poster")]
    }

    private struct Verdict: Decodable {
        var valid: Bool
        var error: String?
    }

    private func validateWithJSONSchema(_ cases: [Case]) async throws -> [Verdict] {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let input = directory.file("cases.json")
        let document = cases.map { ["schema": $0.schema, "payload": $0.envelope["payload"]!] as [String: Any] }
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: input))
        let python = try #require(findExecutable("python3"), "python3 is needed (Scripts/test installs it)")
        let result = try await run(python, [repositoryRoot.appendingPathComponent("Scripts/check-event-schemas.py").path, input])
        try #require(result.status == 0, "schema check failed: \(result.error)")
        return try JSONDecoder().decode([Verdict].self, from: Data(result.output.utf8))
    }
}
