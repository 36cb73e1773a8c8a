import EventLog
import Foundation
@testable import Gateway
import MovieMashCore
import Testing
import TestSupport

/// `Schemas/openapi.yaml` is the truth: schemathesis drives the live service over loopback through every
/// operation (schema-derived examples, boundary cases, fuzzing and linked sequences such as next pair →
/// vote) and fails on any 5xx and any response whose status, headers, content type or body the contract
/// does not allow.
@Suite struct ContractTests {
    /// The contract itself is a valid OpenAPI 3.0 document (judged by `openapi-spec-validator`).
    @Test func theContractIsAValidOpenAPIDocument() async throws {
        let python = try TestEnvironment.tool("python3")
        try await TestEnvironment.pythonPackages(["openapi_spec_validator"])
        let result = try await run(python, ["-m", "openapi_spec_validator", repositoryRoot.appendingPathComponent("Schemas/openapi.yaml").path])
        #expect(result.status == 0 && result.output.contains(": OK"), "\(result.output.suffix(4000))\(result.error.suffix(2000))")
    }

    @Test func theLiveServiceKeepsItsOpenAPIContract() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var sample = SampleEvents(seed: 12, films: 80, sets: 60, voters: 10)
        let log = try EventLog(directory: directory.file("log"))
        _ = try await log.append(contentsOf: (sample.catalogueEvents() + (0..<600).map { _ in sample.nextVote() }).map(LogRecord.init))
        try await log.close()

        let port = try freePort()
        // Limits far above what the fuzzer sends: this run is about the contract (429s are tested elsewhere).
        let server = try ServeCommandTests.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)",
            "--address-limit", "100000/100000", "--voter-limit", "100000/100000", "--account-limit", "100000/100000",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let credentials = ["username": "contract", "password": "correct horse battery"]
        #expect(try await exchange("POST", base + "/api/auth/register", json: credentials).status == 201)
        let token = try #require(try await exchange("POST", base + "/api/auth/login", json: credentials).body["token"] as? String)

        let python = try TestEnvironment.tool("python3")
        try await TestEnvironment.pythonPackages(["schemathesis"])
        // Schema-valid is not always acceptable: a well-formed ticket can be forged, a 72-character password
        // can exceed bcrypt's 72 bytes, so the check that every schema-valid request succeeds is left out.
        // One worker: with two, hypothesis describes strategies by parsing their source on two threads at
        // once, and CPython 3.11's parser can fail that ("AST constructor recursion depth mismatch").
        let result = try await run(python, [
            "-c", "import sys; from schemathesis.cli import schemathesis; schemathesis(prog_name='schemathesis')",
            "run", repositoryRoot.appendingPathComponent("Schemas/openapi.yaml").path, "--url", base,
            "--header", "Authorization: Bearer \(token)", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--workers", "1", "--no-color",
        ])
        #expect(result.status == 0, "schemathesis found the service breaking its contract:\n\(result.output.suffix(12_000))\(result.error.suffix(4000))")
        let spec = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/openapi.yaml"), encoding: .utf8)
        let operations = spec.split(separator: "\n").filter { ["    get:", "    post:", "    put:", "    delete:", "    patch:"].contains($0) }.count
        #expect(result.output.contains("Tested: \(operations)"), "\(result.output.suffix(3000))")
        #expect(server.isRunning, "the service died under the fuzzer")
        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server) && server.terminationStatus == 0)
    }
}
