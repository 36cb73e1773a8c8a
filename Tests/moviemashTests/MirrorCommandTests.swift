import EventLog
import Foundation
import PostgresMirror
import Testing
import TestSupport

@Suite struct MirrorCommandTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }

    @Test func twoMirrorProcessesAtOnceStillMirrorExactlyOnce() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let appended = try await run(Self.binary, ["log", "append-sample", directory.path, "--catalogue", "--votes", "60000",
                                             "--concurrency", "64", "--fsync", "never"])
        try #require(appended.status == 0, "\(appended.error)")
        let mirrors = try (0..<2).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["mirror", "--data", directory.path, "--postgres", database.urlText, "--batch-size", "2000"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in mirrors {
            #expect(try await ServeCommandTests.waitForExit(process) && process.terminationStatus == 0)
        }
        let counts = try await PostgresTesting.withConnection(database.url) { connection in
            try await PostgresTesting.strings(
                "SELECT count(*)::text || ' ' || count(DISTINCT position)::text || ' ' || max(position)::text FROM events",
                on: connection)
        }
        #expect(counts == ["61600 61600 61599"])
        let verify = try await run(Self.binary, ["mirror", "verify", "--data", directory.path, "--postgres", database.urlText])
        #expect(verify.status == 0)
        #expect(verify.output.contains("equal"))

        // A typed table edited by hand: verify names it, rebuild derives it again from events.
        _ = try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query("DELETE FROM analytics.votes WHERE position % 1000 = 7", logger: PostgresTesting.logger)
        }
        let drifted = try await run(Self.binary, ["mirror", "verify", "--data", directory.path, "--postgres", database.urlText])
        #expect(drifted.status == 1)
        #expect(drifted.output.contains("DIFFERENT: analytics.votes lacks 60 rows"), "\(drifted.output)")
        let rebuilt = try await run(Self.binary, ["mirror", "rebuild", "--postgres", database.urlText])
        #expect(rebuilt.status == 0 && rebuilt.output.contains("rebuilt the typed tables from 61600 events"), "\(rebuilt.output) \(rebuilt.error)")
        let unleveled = try await run(Self.binary, ["mirror", "verify", "--data", directory.path, "--postgres", database.urlText, "--log-level", "chatty"])
        #expect(unleveled.status != 0 && unleveled.error.contains("the log level must be one of trace, debug, info"), "\(unleveled.error)")
        let again = try await run(Self.binary, ["mirror", "verify", "--data", directory.path, "--postgres", database.urlText, "--log-level", "warning"])
        #expect(again.status == 0 && again.output.contains("equal"), "\(again.output)")
    }

    @Test func restoreRebuildsTheLogFromTheTableAndResumesAfterAnInterruption() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let original = directory.file("original")
        let appended = try await run(Self.binary, ["log", "append-sample", original, "--catalogue", "--votes", "20000",
                                                   "--concurrency", "16", "--fsync", "never"])
        try #require(appended.status == 0, "\(appended.error)")
        let mirrored = try await run(Self.binary, ["mirror", "--data", original, "--postgres", database.urlText])
        try #require(mirrored.status == 0, "\(mirrored.error)")

        // An interrupted restore: the log holds the table's first events only; run again, it gets the rest.
        let restored = directory.file("restored")
        let source = try EventLog(directory: original, mode: .readOnly)
        let records = try source.read(from: 0)
        let partial = try EventLog(directory: restored)
        _ = try await partial.append(contentsOf: records.prefix(5000).map(\.record))
        try await partial.close()
        let restore = try await run(Self.binary, ["log", "restore", "--from-postgres", database.urlText, "--data", restored, "--batch-size", "3000"])
        #expect(restore.status == 0, "\(restore.error)")
        #expect(restore.output.contains("restored positions 5000..<\(records.count)"), "\(restore.output)")
        // Same positions, ids, times and bytes of every record; and `mirror verify` finds them equal.
        let copy = try EventLog(directory: restored, mode: .readOnly).read(from: 0)
        #expect(copy.count == records.count)
        #expect(zip(copy, records).allSatisfy { $0.position == $1.position && $0.record == $1.record })
        let verify = try await run(Self.binary, ["mirror", "verify", "--data", restored, "--postgres", database.urlText])
        #expect(verify.status == 0 && verify.output.contains("equal"), "\(verify.output)")
        let again = try await run(Self.binary, ["log", "restore", "--from-postgres", database.urlText, "--data", restored])
        #expect(again.status == 0 && again.output.contains("restored positions \(records.count)..<\(records.count)"), "\(again.output)")

        // A directory holding another log is refused, untouched.
        let other = directory.file("other")
        let foreign = try EventLog(directory: other)
        _ = try await foreign.append(contentsOf: records.suffix(10).map(\.record))
        try await foreign.close()
        let refused = try await run(Self.binary, ["log", "restore", "--from-postgres", database.urlText, "--data", other])
        #expect(refused.status != 0 && refused.error.contains("not a restore of this table"), "\(refused.error)")
        #expect(try EventLog(directory: other, mode: .readOnly).endPosition == 10)
    }

    /// A password need never be on a command line: the one-off commands read the URL from a file or
    /// `MOVIEMASH_POSTGRES`, and `serve` from a credentials directory (systemd's `LoadCredential=`).
    @Test func connectionSecretsComeFromAFileTheEnvironmentOrACredentialsDirectory() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("postgres-url")
        try (database.urlText + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["MOVIEMASH_POSTGRES"] = nil
        let fromFile = try await run(Self.binary, ["migrate", "--postgres-file", file], environment: environment)
        #expect(fromFile.status == 0 && fromFile.output.contains("applied"), "\(fromFile.error)")
        environment["MOVIEMASH_POSTGRES"] = database.urlText
        let fromVariable = try await run(Self.binary, ["migrate"], environment: environment)
        #expect(fromVariable.status == 0 && fromVariable.output.contains("up to date"), "\(fromVariable.error)")
        environment["MOVIEMASH_POSTGRES"] = nil
        let neither = try await run(Self.binary, ["migrate"], environment: environment)
        #expect(neither.status != 0 && neither.error.contains("--postgres-file"), "\(neither.error)")

        let credentials = directory.file("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try database.urlText.write(toFile: credentials + "/postgres", atomically: true, encoding: .utf8)
        try await writeClosedLog(sampleLogEvents(seed: 5, films: 20, sets: 10, voters: 2, votes: 30).events, to: directory.file("log"))
        let port = try freePort()
        let server = try ServeCommandTests.start(["serve", "--data", directory.file("log"), "--port", "\(port)", "--credentials-dir", credentials])
        defer { if server.isRunning { server.terminate() } }
        #expect(try await eventually(timeout: .seconds(90)) {
            await ServeCommandTests.get("http://127.0.0.1:\(port)/ready")?.body.contains("\"mirror\"") == true
        }, "the node mirrors into the database its credentials name")
        let missing = try await run(Self.binary, ["serve", "--data", directory.file("log"), "--credentials-dir", directory.file("none")])
        #expect(missing.status != 0 && missing.error.contains("there is no directory"), "\(missing.error)")
    }

    @Test func badConnectionSettingsFailWithOneClearLine() async throws {
        let admin = try PostgresTesting.adminURL().configuration
        let password = try #require(admin.password, "Scripts/test starts PostgreSQL with password authentication")
        let host = "\(admin.host!):\(admin.port!)"
        let cases: [(url: String, says: String)] = [
            ("postgres//nothing", "invalid PostgreSQL URL"),
            ("postgres://\(admin.username):wrong-\(password)@\(host)/postgres", "password authentication failed"),
            ("postgres://\(admin.username):\(password)@\(host)/no_such_database", "database \"no_such_database\" does not exist"),
            ("postgres://\(admin.username):\(password)@127.0.0.1:\(try freePort())/postgres", "connection refused"),
        ]
        for (url, says) in cases {
            let golden = repositoryRoot.appendingPathComponent("Tests/EventLogTests/Golden/log").path
            for arguments in [["migrate", "--postgres", url], ["mirror", "verify", "--data", golden, "--postgres", url]] {
                let result = try await run(Self.binary, arguments)
                #expect(result.status != 0)
                let errorLines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
                #expect(errorLines.count == 1, "\(arguments): \(result.error)")
                #expect(errorLines.first?.contains(says) == true, "\(arguments): \(result.error)")
                #expect(!result.error.contains("wrong-\(password)"))
            }
        }
    }
}
