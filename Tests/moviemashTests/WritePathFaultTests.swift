import EventLog
import EventStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MovieMashCore
import Synchronization
import Testing
import TestSupport

/// Voters that register, log in, take a pair and vote, as fast as the server answers, until stopped;
/// every acknowledged vote and every refusal is recorded, as a client that keeps receipts would.
final class VoterCrowd: Sendable {
    struct Ack: Sendable, Hashable {
        var voteID: String
        var position: Int
    }

    let acks = Mutex<[Ack]>([])
    /// Refusals by status and problem type (`503 storage-unavailable`), and failed connections.
    let refusals = Mutex<[String: Int]>([:])
    /// Whether a 503 carried `Retry-After`.
    let retryAfterSeen = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    func stop() { stopped.store(true, ordering: .relaxed) }
    var ackCount: Int { acks.withLock { $0.count } }
    func refusals(_ key: String) -> Int { refusals.withLock { $0[key] ?? 0 } }

    /// Runs `voters` voters named `prefix_N` against `base` until `stop()`.
    func run(base: String, voters: Int, prefix: String) async {
        await withTaskGroup(of: Void.self) { group in
            for voter in 0..<voters {
                group.addTask { await self.vote(base: base, name: "\(prefix)_\(voter)") }
            }
        }
    }

    private func note(_ status: Int, _ body: [String: Any], _ headers: [String: String]) {
        let type = (body["type"] as? String)?.split(separator: "/").last.map(String.init) ?? "-"
        refusals.withLock { $0["\(status) \(type)", default: 0] += 1 }
        if status == 503, headers["retry-after"] != nil {
            retryAfterSeen.store(true, ordering: .relaxed)
        }
    }

    private func vote(base: String, name: String) async {
        let credentials = ["username": name, "password": "correct horse battery"]
        var token: String?
        while !stopped.load(ordering: .relaxed) {
            do {
                guard let bearer = token else {
                    let registered = try await exchange("POST", base + "/api/auth/register", json: credentials)
                    if registered.status != 201 && registered.status != 409 { note(registered.status, registered.body, registered.headers) }
                    token = try await exchange("POST", base + "/api/auth/login", json: credentials).body["token"] as? String
                    continue
                }
                let next = try await exchange("GET", base + "/api/comparisons/next", bearer: bearer)
                guard let ticket = next.body["ticket"] as? String else {
                    note(next.status, next.body, next.headers)
                    continue
                }
                let vote = try await exchange("POST", base + "/api/votes", json: ["ticket": ticket, "winner": "setA"], bearer: bearer)
                if vote.status == 201, let id = vote.body["voteID"] as? String, let position = vote.body["position"] as? Int {
                    acks.withLock { $0.append(Ack(voteID: id, position: position)) }
                } else {
                    note(vote.status, vote.body, vote.headers)
                    // A client honouring Retry-After waits; a short pause keeps the test quick.
                    if vote.status == 503 { try? await Task.sleep(for: .milliseconds(50)) }
                }
            } catch {
                refusals.withLock { $0["unreachable", default: 0] += 1 }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

/// Serialized: each test runs a real server under a crowd of voters, and two at once on two cores would
/// starve the rest of the suite.
@Suite(.serialized) struct WritePathFaultTests {
    static var binary: String { ServeCommandTests.binary }

    /// A log holding the sample catalogue: sets to compare, no votes yet.
    static func catalogueLog(at path: String, seed: UInt64) async throws {
        var sample = SampleEvents(seed: seed, films: 60, sets: 40, voters: 5)
        try await writeClosedLog(sample.catalogueEvents(), to: path)
    }

    /// Starts `moviemash serve` on `data` with the limits a crowd of voters on one address needs, what it
    /// logs into the file `output`.
    static func serve(data: String, port: Int, output: String, extra: [String] = []) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = [
            "serve", "--data", data, "--port", "\(port)", "--fsync", "always",
            "--voter-limit", "10000/10000", "--address-limit", "100000/100000",
        ] + extra
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        server.standardOutput = file
        server.standardError = file
        try server.run()
        return server
    }

    /// Every vote event in the log at `path`, by vote id, with its position.
    static func votes(in path: String) throws -> [(voteID: String, position: UInt64)] {
        let log = try EventLog(directory: path, mode: .readOnly)
        return try log.read(from: 0).compactMap { stored in
            guard case .voteCast(let vote) = try EventEnvelope(stored).event else { return nil }
            return (vote.voteID.uuidString, stored.position)
        }
    }

    @Test func killMinus9UnderConcurrentVotesLosesAndDuplicatesNothing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the moviemash executable first")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.file("log")
        try await Self.catalogueLog(at: data, seed: 12)
        var random = SplitMix64(seed: 17)
        var acknowledged: [VoterCrowd.Ack] = []
        for round in 0..<5 {
            let port = try freePort()
            let server = try Self.serve(data: data, port: port, output: directory.file("output-\(round)"))
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let base = "http://127.0.0.1:\(port)"
            #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
            let crowd = VoterCrowd()
            let voting = Task { await crowd.run(base: base, voters: 8, prefix: "round\(round)") }
            let killAfter = Int.random(in: 100...250, using: &random)
            if round == 0 {
                // Ready holds under a steady stream of votes: ready means within a bound, not at the last event.
                #expect(try await eventually(timeout: .seconds(60)) { crowd.ackCount >= 50 })
                var statuses: [Int: Int] = [:]
                for _ in 0..<100 { statuses[await ServeCommandTests.get(base + "/ready")?.status ?? 0, default: 0] += 1 }
                #expect(statuses == [200: 100], "probes of /ready while 8 voters vote: \(statuses)")
            }
            #expect(try await eventually(timeout: .seconds(120)) { crowd.ackCount >= killAfter })
            kill(server.processIdentifier, SIGKILL)
            crowd.stop()
            await voting.value
            server.waitUntilExit()
            #expect(server.terminationReason == .uncaughtSignal)
            acknowledged += crowd.acks.withLock { $0 }

            let votes = try Self.votes(in: data)
            let positions = Dictionary(votes.map { ($0.voteID, $0.position) }, uniquingKeysWith: { first, _ in first })
            #expect(positions.count == votes.count, "no vote is in the log twice (round \(round))")
            let missing = acknowledged.filter { positions[$0.voteID] != UInt64($0.position) }
            #expect(missing.isEmpty, "acknowledged votes missing or moved after round \(round): \(missing.prefix(5))")
        }
        #expect(Set(acknowledged.map(\.voteID)).count == acknowledged.count)
        let verify = try await run(Self.binary, ["log", "verify", data])
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")
    }
}

/// A small tmpfs under `.build/`, mounted for one test and unmounted after it.
struct SmallFileSystem {
    let path: String

    /// Whether this machine lets the tests mount one (root on Linux); probed once.
    static let mountingAllowed: Bool = {
        guard getuid() == 0, let probe = try? SmallFileSystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        path = repositoryRoot.appendingPathComponent(".build/small-fs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "mount tmpfs: \(reason)"])
        }
    }

    func unmount() {
        umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a file at `name` until the file system is full.
    func fill(_ name: String) {
        let descriptor = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x55, count: 64 << 10)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}

extension WritePathFaultTests {
    /// With no reserve the log meets a truly full disk (ENOSPC mid-batch); with one it refuses appends
    /// before. Either way: 503 and not ready while full, healed without a restart once space is back.
    @Test(.enabled(if: SmallFileSystem.mountingAllowed, "mounting a small file system needs root on Linux; HealingTests inject the same failures"),
          arguments: [0, 2 << 20])
    func aFullDiskRefusesVotesUntilSpaceReturnsAndLosesNothing(reserve: Int) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the moviemash executable first")
        let disk = try SmallFileSystem(megabytes: 16)
        defer { disk.unmount() }
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = disk.path + "/log"
        // Written off the small disk, whose free space is below the default reserve, then moved onto it.
        try await Self.catalogueLog(at: directory.file("log"), seed: 13)
        try FileManager.default.copyItem(atPath: directory.file("log"), toPath: data)
        let port = try freePort()
        let output = directory.file("output")
        let server = try Self.serve(data: data, port: port, output: output, extra: ["--min-free-bytes", "\(reserve)"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let crowd = VoterCrowd()
        let voting = Task { await crowd.run(base: base, voters: 8, prefix: "full") }
        #expect(try await eventually(timeout: .seconds(60)) { crowd.ackCount >= 50 })

        disk.fill("filler")
        #expect(try await eventually(timeout: .seconds(60)) { crowd.refusals("503 storage-unavailable") >= 10 })
        let notReady = await ServeCommandTests.get(base + "/ready")
        #expect(notReady?.status == 503 && notReady?.body.contains("writer") == true, "\(notReady?.body ?? "no answer")")
        #expect(await ServeCommandTests.get(base + "/health")?.status == 200, "the process lives")
        #expect(await ServeCommandTests.get(base + "/api/leaderboard/sets?limit=3")?.status == 200, "reads go on")
        let retryAfter = crowd.retryAfterSeen.load(ordering: .relaxed)
        #expect(retryAfter, "a 503 says when to try again")
        let metrics = await ServeCommandTests.get(base + "/metrics")?.body ?? ""
        #expect(metrics.contains(#"moviemash_log_writer_state{state="up"} 0"#) && metrics.contains("moviemash_log_writer_failures_total 1"))

        let acksWhileFull = crowd.ackCount
        try FileManager.default.removeItem(atPath: disk.path + "/filler")
        let freed = ContinuousClock.now
        #expect(try await eventually(timeout: .seconds(60)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let healedAfter = ContinuousClock.now - freed
        #expect(try await eventually(timeout: .seconds(60)) { crowd.ackCount >= acksWhileFull + 50 }, "votes succeed again, no restart")
        crowd.stop()
        await voting.value
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        let acks = crowd.acks.withLock { $0 }
        let votes = try Self.votes(in: data)
        print("full disk (reserve \(reserve) B): \(acksWhileFull) votes acknowledged before space came back, \(crowd.refusals("503 storage-unavailable")) answered 503 storage-unavailable, ready again \(healedAfter) after freeing, \(acks.count) acknowledged in all, \(votes.count) votes in the log")
        let positions = Dictionary(votes.map { ($0.voteID, $0.position) }, uniquingKeysWith: { first, _ in first })
        #expect(positions.count == votes.count)
        #expect(acks.allSatisfy { positions[$0.voteID] == UInt64($0.position) }, "every acknowledged vote is in the log")
        let verify = try await run(Self.binary, ["log", "verify", data])
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")
        let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let outages = log.components(separatedBy: "the log refuses appends").count - 1
        #expect((1...2).contains(outages), "the failure is logged once per change of state, not per request: \(outages)")
        #expect(log.contains("the log takes appends again"), "\(log.suffix(3000))")
    }
}
