import EventLog
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MovieMashCore
import Projections
import Synchronization
import Testing
import TestSupport

@Suite struct ServeCommandTests {
    static var binary: String { buildProductsDirectory.appendingPathComponent("moviemash").path }

    /// Starts `moviemash ARGUMENTS` in the background, output discarded.
    /// Starts `moviemash` with `arguments`; its output goes to the file `output` when one is named (to tell
    /// why a node never became ready), else nowhere.
    static func start(_ arguments: [String], output: String? = nil) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = arguments
        if let output, FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) {
            server.standardOutput = file
            server.standardError = file
        } else {
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
        }
        try server.run()
        return server
    }

    /// Polls (with a deadline) until `server` has exited; whether it is gone. The deadline is generous: with
    /// the whole suite running at once on two cores, a graceful shutdown that writes snapshots can take long.
    static func waitForExit(_ server: Process) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(90)
        while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return !server.isRunning
    }

    static func get(_ url: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }


    @Test func servesTheProjectionsAndStopsCleanlyOnSIGTERM() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleLogEvents(seed: 8, films: 60, sets: 30, voters: 10, votes: 500).events
        try await writeClosedLog(events, to: directory.file("log"))

        let (port, adminPort) = (try freePort(), try freePort())
        let server = try Self.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)", "--snapshot-dir", directory.file("snapshots"), "--admin-port", "\(adminPort)",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)", admin = "http://127.0.0.1:\(adminPort)"
        #expect(try await eventually(timeout: .seconds(60)) { await Self.get(base + "/ready")?.status == 200 })
        let version = try await run(Self.binary, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let health = try await exchange("GET", base + "/health")
        let commit = try #require(health.body["commit"] as? String)
        #expect(version == "\(health.body["version"] as? String ?? "?") (\(commit.prefix(12)))" && commit.count == 40, "\(version) \(health.rawBody)")
        let leaderboard = await Self.get(base + "/api/leaderboard/sets?limit=5")
        #expect(leaderboard?.status == 200 && leaderboard?.body.contains("\"total\":30") == true)
        #expect(await Self.get(base + "/api/sets/zz")?.status == 400)

        // A voter registers, logs in, takes a pair and votes; the answer comes once the vote is durable.
        let credentials = ["username": "ada", "password": "correct horse battery"]
        #expect(try await exchange("POST", base + "/api/auth/register", json: credentials).status == 201)
        let token = try await exchange("POST", base + "/api/auth/login", json: credentials).body["token"] as? String
        let next = try await exchange("GET", base + "/api/comparisons/next", bearer: token)
        let vote = try await exchange("POST", base + "/api/votes", json: ["ticket": next.body["ticket"] as? String ?? "", "winner": "setA"], bearer: token)
        #expect(vote.status == 201)
        let position = try #require(vote.body["position"] as? Int)
        let recommendations = try await exchange("GET", base + "/api/recommendations?limit=3", bearer: token)
        let items = try #require(recommendations.body["items"] as? [[String: Any]])
        #expect(recommendations.status == 200 && items.count == 3)
        #expect(items.allSatisfy { ($0["film"] as? [String: Any])?["title"] is String && $0["reason"] is String })
        #expect(try await exchange("GET", base + "/api/recommendations").status == 401)
        // /metrics is on the admin listener only, and follows Prometheus' conventions as promtool checks them.
        #expect(await Self.get(base + "/metrics")?.status == 404)
        let metrics = await Self.get(admin + "/metrics")?.body ?? ""
        #expect(metrics.contains("moviemash_votes_appended_total 1") && metrics.contains("moviemash_log_position \(events.count + 2)"), "\(metrics.prefix(2000))")
        #expect(metrics.contains(#"moviemash_projector_lag_events{projector="elo"}"#))
        #expect(metrics.contains("moviemash_build_info{version=\"1.0.0\",commit=\"\(commit)\"} 1") && metrics.contains("moviemash_log_writer_failures_total 0"))
        #expect(metrics.contains("process_resident_memory_bytes ") && metrics.contains("process_open_fds ") && metrics.contains("process_cpu_seconds_total "))
        try metrics.write(toFile: directory.file("metrics.txt"), atomically: true, encoding: .utf8)
        _ = try TestEnvironment.tool("promtool")
        let promtool = try await run("/bin/sh", ["-c", "promtool check metrics < '\(directory.file("metrics.txt"))'"])
        #expect(promtool.status == 0, "promtool (Scripts/test installs Debian's prometheus): \(promtool.output)\(promtool.error)")

        server.terminate()
        let exited = try await Self.waitForExit(server)
        #expect(exited && server.terminationStatus == 0)
        // The snapshots written at shutdown cover the whole log, and a rebuild agrees with them.
        let verify = try await run(Self.binary, ["replay", "--data", directory.file("log"), "--snapshot-dir", directory.file("snapshots"), "--verify"])
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")
        #expect(verify.output.contains("elo: equal to the snapshot at position \(events.count + 2)"))
        let reopened = try EventLog(directory: directory.file("log"), mode: .readOnly)
        let stored = try EventEnvelope(try #require(reopened.read(from: UInt64(position), limit: 1).first))
        guard case .voteCast(let cast) = stored.event else { Issue.record("position \(position) holds \(stored.type)"); return }
        #expect(cast.voteID.uuidString == vote.body["voteID"] as? String && cast.winner == .setA)
    }

    @Test func servesHTTPSWithTheGivenCertificate() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let openssl = try #require(findExecutable("openssl"), "openssl is needed to make a test certificate")
        let curl = try #require(findExecutable("curl"), "curl is needed to speak TLS to the server")
        let made = try await run(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", directory.file("key.pem"), "-out", directory.file("certificate.pem"),
        ])
        #expect(made.status == 0, "\(made.error)")
        let port = try freePort()
        let server = try Self.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)",
            "--tls-certificate", directory.file("certificate.pem"), "--tls-key", directory.file("key.pem"), "--log-format", "json",
        ], output: directory.file("output"))
        defer { if server.isRunning { server.terminate() } }
        let https = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", directory.file("certificate.pem"), "https://127.0.0.1:\(port)/health"]
        #expect(try await eventually(timeout: .seconds(60)) { (try? await run(curl, https))?.output == "200" })
        let plain = try await run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(port)/health"])
        #expect(plain.output != "200", "plain HTTP must not be served on the TLS port")
        server.terminate()
        let exited = try await Self.waitForExit(server)
        #expect(exited && server.terminationStatus == 0)
        // --log-format json: every line the node wrote, the libraries' included, is a JSON object.
        let lines = try String(contentsOfFile: directory.file("output"), encoding: .utf8).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count >= 3 && objects.count == lines.count, "\(lines.filter { line in (try? JSONSerialization.jsonObject(with: Data(line.utf8))) == nil })")
        #expect(objects.contains { $0["message"] as? String == "serving" && $0["level"] as? String == "info" && $0["role"] as? String == "primary" })

        let refused = try await run(Self.binary, ["serve", "--data", directory.file("log"), "--tls-certificate", directory.file("certificate.pem")])
        #expect(refused.status != 0 && refused.error.contains("--tls-certificate and --tls-key go together"))
    }

    @Test func sigtermDuringABurstOfVotesLosesNoAcknowledgedVote() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var sample = SampleEvents(seed: 9, films: 60, sets: 40, voters: 5)
        let log = try EventLog(directory: directory.file("log"))
        _ = try await log.append(contentsOf: sample.catalogueEvents().map(LogRecord.init))
        try await log.close()
        let port = try freePort()
        let server = try Self.start(["serve", "--data", directory.file("log"), "--port", "\(port)", "--fsync", "always"])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(60)) { await Self.get(base + "/ready")?.status == 200 })

        // Four voters take fifteen tickets each, then vote all at once; SIGTERM lands after the fifth answer.
        var ballots: [(token: String, ticket: String)] = []
        for voter in 0..<4 {
            let credentials = ["username": "burst_\(voter)", "password": "correct horse battery"]
            _ = try await exchange("POST", base + "/api/auth/register", json: credentials)
            let token = try #require(try await exchange("POST", base + "/api/auth/login", json: credentials).body["token"] as? String)
            for _ in 0..<15 {
                let next = try await exchange("GET", base + "/api/comparisons/next", bearer: token)
                ballots.append((token, try #require(next.body["ticket"] as? String)))
            }
        }
        let acknowledged = Acknowledgements()
        let serverProcess = server.processIdentifier
        await withTaskGroup(of: Void.self) { group in
            for ballot in ballots {
                group.addTask {
                    guard let vote = try? await exchange("POST", base + "/api/votes", json: ["ticket": ballot.ticket, "winner": "setB"], bearer: ballot.token),
                          vote.status == 201, let id = vote.body["voteID"] as? String, let position = vote.body["position"] as? Int
                    else { return }
                    let count = acknowledged.entries.withLock { acks in
                        acks.append((id, position))
                        return acks.count
                    }
                    if count == 5 { kill(serverProcess, SIGTERM) }
                }
            }
        }
        let exited = try await Self.waitForExit(server)
        #expect(exited && server.terminationStatus == 0)

        let reopened = try EventLog(directory: directory.file("log"), mode: .readOnly)
        let acks = acknowledged.entries.withLock { $0 }
        #expect(!acks.isEmpty, "some votes were acknowledged before the shutdown")
        for ack in acks {
            let stored = try EventEnvelope(try #require(reopened.read(from: UInt64(ack.position), limit: 1).first))
            guard case .voteCast(let vote) = stored.event else { Issue.record("position \(ack.position) holds \(stored.type)"); continue }
            #expect(vote.voteID.uuidString == ack.voteID)
        }
        let votes = try reopened.read(from: 0).filter { (try? EventEnvelope($0))?.type == .voteCast }.count
        #expect(votes >= acks.count)
    }
}

/// Votes the server acknowledged, collected from concurrent requests.
final class Acknowledgements: Sendable {
    let entries = Mutex<[(voteID: String, position: Int)]>([])
}
