import Foundation
import Logging
import MovieMashCore
@testable import MovieMashServer
import Testing
import TestSupport

/// What an operator installs from `Deploy/`: the alert rules (checked and unit-tested by promtool), the
/// Grafana dashboard (its queries parsed by promtool too), and the systemd units (verified by
/// systemd-analyze, and their command lines read as a node's settings). Scripts/test installs both tools.
@Suite struct DeployTests {
    static let deploy = repositoryRoot.appendingPathComponent("Deploy").path

    @Test func alertRulesPassPromtoolsCheckAndTheirUnitTests() async throws {
        _ = try TestEnvironment.tool("promtool")
        let rules = Self.deploy + "/prometheus"
        let check = try await run("/bin/sh", ["-c", "cd '\(rules)' && promtool check rules moviemash-alerts.yml && promtool test rules moviemash-alerts.test.yml"])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("SUCCESS: 8 rules found") && check.output.contains("SUCCESS\n"), "\(check.output)")
    }

    /// Every query of the dashboard is PromQL promtool parses (as recording rules), over series the code
    /// exports.
    @Test func theDashboardQueriesParseAndNameSeriesTheNodesExport() async throws {
        _ = try TestEnvironment.tool("promtool")
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.deploy + "/grafana/moviemash.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(queries.count >= 15)
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // Grafana's variables become plain regexes for the parse.
        let rules = "groups:\n  - name: dashboard\n    rules:\n" + queries.enumerated().map { index, query in
            "      - record: dashboard:query\(index)\n        expr: '\(query.replacingOccurrences(of: "$instance", with: ".*").replacingOccurrences(of: "'", with: "''"))'\n"
        }.joined()
        try rules.write(toFile: directory.file("dashboard.yml"), atomically: true, encoding: .utf8)
        let check = try await run("/bin/sh", ["-c", "promtool check rules '\(directory.file("dashboard.yml"))'"])
        #expect(check.status == 0, "\(check.output)\(check.error)")

        let alerts = try String(contentsOfFile: Self.deploy + "/prometheus/moviemash-alerts.yml", encoding: .utf8)
        var sources = ""
        for folder in ["Sources/Gateway", "Sources/MovieMashServer"] {
            for case let file as URL in FileManager.default.enumerator(at: repositoryRoot.appendingPathComponent(folder), includingPropertiesForKeys: nil)!
            where file.pathExtension == "swift" { sources += try String(contentsOf: file, encoding: .utf8) }
        }
        let named = Set((queries.joined(separator: "\n") + alerts).matches(of: /\b(moviemash|process)_([a-z_]+)/).map { String($0.output.0) })
        #expect(named.count >= 15)
        for series in named {
            let base = series.replacing(/^moviemash_/, with: "").replacing(/_(total|bucket|count|sum)$/, with: "")
            let exported = sources.contains("\"\(base)\"") || sources.contains("\"\(series)\"")
                || (base.hasSuffix("_seconds") && sources.contains("\"\(base.dropLast(8))\""))
            #expect(exported, "\(series) is named in Deploy but no node exports it")
        }
    }

    /// The units pass `systemd-analyze verify` (with this build as their binary) without a warning, and
    /// their command lines, with the credentials they load, are settings a node starts with.
    @Test func theSystemdUnitsVerifyAndTheirCommandLinesAreValidSettings() async throws {
        _ = try TestEnvironment.tool("systemd-analyze")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for unit in ["moviemash-writer.service", "moviemash-standby-writer.service", "moviemash-replica.service"] {
            let text = try String(contentsOfFile: Self.deploy + "/systemd/" + unit, encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/local/bin/moviemash", with: buildProductsDirectory.appendingPathComponent("moviemash").path)
                .write(toFile: directory.file(unit), atomically: true, encoding: .utf8)
            let verify = try await run("/usr/bin/env", ["systemd-analyze", "verify", directory.file(unit)])
            #expect(verify.status == 0 && verify.error.isEmpty && verify.output.isEmpty, "\(unit): \(verify.output)\(verify.error)")

            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            let arguments = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init).dropFirst(2)
            #expect(!arguments.contains { $0.contains("postgres://") || $0.contains("jwt") }, "no secret in \(unit)'s command line")
            let credentials = directory.file(unit + ".credentials")
            try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
            for loaded in text.split(separator: "\n").filter({ $0.hasPrefix("LoadCredential=") }) {
                let name = loaded.dropFirst("LoadCredential=".count).prefix { $0 != ":" }
                let value = name == "jwtKeys" ? "unit:" + String(repeating: "k", count: 40) : "postgres://moviemash:secret@db.internal/moviemash"
                try value.write(toFile: credentials + "/" + name, atomically: true, encoding: .utf8)
            }
            let configuration = try await ServerConfiguration.load(arguments: Array(arguments), environment: ["CREDENTIALS_DIRECTORY": credentials])
            #expect(configuration.signingKeys != nil && configuration.gateway.admin?.port == 9090, "\(unit)")
            #expect(unit.contains("replica") ? configuration.events != nil : configuration.postgres != nil && configuration.durability == .replicated)
        }
    }
}

@Suite struct JSONLogLineTests {
    /// A line is one JSON object whatever the message and metadata hold: quotes, newlines, control
    /// characters, nested lists and objects; the fixed members are not overwritten by metadata.
    @Test func aLineIsOneJSONObjectWhateverItCarries() throws {
        let event = LogEvent(level: .warning, message: "a \"quoted\"\nmessage\u{1}", metadata: nil, source: "Tests", file: "f", function: "g", line: 1)
        let metadata: Logger.Metadata = [
            "level": "forged", "path": "/api/\"x\"", "list": .array(["a", .dictionary(["b": "c"])]), "count": .stringConvertible(3),
        ]
        let bytes = JSONLogHandler.line(event: event, label: "moviemash", metadata: metadata, at: Timestamp(milliseconds: 0))
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["message"] as? String == "a \"quoted\"\nmessage\u{1}" && object["level"] as? String == "warning")
        #expect(object["time"] as? String == "1970-01-01T00:00:00.000Z" && object["source"] as? String == "Tests" && object["count"] as? String == "3")
        #expect((object["list"] as? [Any])?.count == 2 && object["path"] as? String == "/api/\"x\"")
    }
}
