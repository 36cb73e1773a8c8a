import Foundation
import Testing
import TestSupport

/// Every committed fuzz input — the starting corpus and each crash the fuzzer ever found — replayed
/// through its target in an ordinary build: a fixed crash stays fixed.
@Suite struct FuzzCorpusTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash-fuzz").path }

    @Test(arguments: ["batch", "event-binary", "event-json", "ticket", "bodies"])
    func everyCommittedInputRunsThroughItsTargetWithoutACrash(target: String) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the moviemash-fuzz executable first")
        let fuzz = repositoryRoot.appendingPathComponent("Tests/Fuzz")
        let folders = ["corpus", "regressions"].map { fuzz.appendingPathComponent("\($0)/\(target)").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        let result = try await run(Self.binary, [target] + folders)
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(result.output.hasPrefix("\(target): ") && !result.output.hasPrefix("\(target): 0 inputs"), "\(result.output)")
    }
}
