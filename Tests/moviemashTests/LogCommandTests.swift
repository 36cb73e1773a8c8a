import EventLog
import Foundation
import MovieMashCore
import Testing
import TestSupport

@Suite struct LogCommandTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }
    static let golden = repositoryRoot.appendingPathComponent("Tests/EventLogTests/Golden/log").path

    @Test func dumpPrintsEveryGoldenEventAsJSON() async throws {
        let result = try await run(Self.binary, ["log", "dump", Self.golden, "--json"])
        #expect(result.status == 0, "\(result.error)")
        let envelopes = try result.output.split(separator: "\n").map { try EventCodec.decodeJSON(Data($0.utf8)) }
        #expect(envelopes.map(\.position) == (0..<83).map { Optional($0) })
        #expect(envelopes.filter { $0.type == .voteCast }.count == 60)
        #expect(envelopes.filter { $0.type == .movieCatalogued }.count == 12)

        let page = try await run(Self.binary, ["log", "dump", Self.golden, "--from", "80", "--limit", "2"])
        #expect(page.output.split(separator: "\n").map { $0.prefix(3) } == ["80\t", "81\t"])
        let past = try await run(Self.binary, ["log", "dump", Self.golden, "--from", "84"])
        #expect(past.status != 0)
        #expect(past.error.contains("past the end"))
    }

    @Test func statsCountsEventsByType() async throws {
        let result = try await run(Self.binary, ["log", "stats", Self.golden])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("records    83"))
        #expect(result.output.contains("segments   3"))
        #expect(result.output.contains("VoteCast         60"))
        let json = try await run(Self.binary, ["log", "stats", "--json", Self.golden])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        #expect(object["records"] as? Int == 83 && (object["segments"] as? [Any])?.count == 3)
        #expect((object["types"] as? [String: Int])?["VoteCast"] == 60)
    }

    @Test func verifyExitsNonZeroAndNamesTheDamage() async throws {
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.removeItem(atPath: copy.path)
        try TemporaryDirectory.copy(Self.golden, to: copy.path)
        let healthy = try await run(Self.binary, ["log", "verify", copy.path])
        #expect(healthy.status == 0)
        #expect(healthy.output.contains("healthy: 83 records"))
        // Not on a terminal: a progress line per tenth on standard error, with the rate and the time left.
        #expect(healthy.error.split(separator: "\n").last?.hasPrefix("verified") == true && healthy.error.contains("100%"), "\(healthy.error)")
        #expect(healthy.error.split(separator: "\n").count <= 11)

        let sealed = copy.file("00000000000000000038.log")
        let handle = try #require(FileHandle(forUpdatingAtPath: sealed))
        try handle.seek(toOffset: 2000)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: 2000)
        try handle.write(contentsOf: [byte[0] ^ 0x10])
        try handle.close()
        let damaged = try await run(Self.binary, ["log", "verify", copy.path])
        #expect(damaged.status == 1)
        #expect(damaged.output.contains("DAMAGE: corrupt"))
        #expect(damaged.output.contains(sealed))
        let damagedJSON = try await run(Self.binary, ["log", "verify", "--json", copy.path])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(damagedJSON.output.utf8)) as? [String: Any], "\(damagedJSON.output)")
        #expect(damagedJSON.status == 1 && report["healthy"] as? Bool == false)
        #expect((report["segments"] as? [[String: Any]])?.contains { ($0["damage"] as? String)?.contains("corrupt") == true } == true)

        let missing = try await run(Self.binary, ["log", "verify", copy.file("nothing-here")])
        #expect(missing.status != 0 && missing.status != 1)
        #expect(missing.error.contains("notALog"))
    }
}

