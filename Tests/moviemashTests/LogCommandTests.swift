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
    }

    @Test func verifyExitsNonZeroAndNamesTheDamage() async throws {
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.removeItem(atPath: copy.path)
        try TemporaryDirectory.copy(Self.golden, to: copy.path)
        let healthy = try await run(Self.binary, ["log", "verify", copy.path])
        #expect(healthy.status == 0)
        #expect(healthy.output.contains("healthy: 83 records"))

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

        let missing = try await run(Self.binary, ["log", "verify", copy.file("nothing-here")])
        #expect(missing.status != 0 && missing.status != 1)
        #expect(missing.error.contains("notALog"))
    }
}
