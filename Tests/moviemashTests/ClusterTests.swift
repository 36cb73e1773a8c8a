import EventLog
import EventStore
import Foundation
import MovieMashCore
import MovieMashServer
import PostgresMirror
import Projections
import Testing
import TestSupport

/// The topology `Scripts/cluster` starts, all real processes on loopback: a PostgreSQL primary and a
/// streaming standby, the writer, two replicas on the standby, HAProxy in front.
final class RunningCluster: Sendable {
    /// The script's process (it stops everything on SIGTERM).
    let script: pid_t
    let directory: String
    let environment: [String: String]

    /// Starts the cluster over a copy of the log at `log` and waits (with a deadline) until it is up.
    init(log: String, durability: String, directory: String, writers: Int = 1, replicas: Int = 2) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MOVIEMASH_BIN"] = ServeCommandTests.binary
        environment["MOVIEMASH_CLUSTER_LOG"] = log
        environment["MOVIEMASH_CLUSTER_SERVE_ARGS"] = "--voter-limit 100000/100000 --snapshot-age 1 --derived-interval 2"
        environment["MOVIEMASH_CLUSTER_RATE"] = "100000000"
        let script = try spawn(
            repositoryRoot.appendingPathComponent("Scripts/cluster").path,
            ["up", "--replicas", "\(replicas)", "--writers", "\(writers)", "--durability", durability, "--dir", directory],
            output: directory + ".out", error: directory + ".out", environment: environment)
        self.script = script
        self.directory = directory
        let envFile = directory + "/cluster.env"
        let started = try await eventually(timeout: .seconds(240)) { 
            if FileManager.default.fileExists(atPath: envFile) { return true }
            return await exitStatus(of: script, timeout: .zero) != nil
        }
        guard started, FileManager.default.fileExists(atPath: envFile) else {
            kill(script, SIGTERM)
            throw TestSetupError("Scripts/cluster did not start: \((try? String(contentsOfFile: directory + ".out", encoding: .utf8)) ?? "")")
        }
        var values: [String: String] = [:]
        for line in try String(contentsOfFile: envFile, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        self.environment = values
    }

    subscript(_ key: String) -> String { environment[key] ?? "" }

    /// What HAProxy's health checks say of each server of `backend` (its stats page as CSV).
    func serverStates(backend: String) async -> [String: String] {
        guard let csv = try? await exchange("GET", self["STATS"] + "/;csv").rawBody else { return [:] }
        var states: [String: String] = [:]
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if fields.count > 17, fields[0] == backend, fields[1] != "BACKEND" { states[String(fields[1])] = String(fields[17]) }
        }
        return states
    }

    /// The process id a node runs as (`writer`, `replica-1`, …).
    func pid(_ node: String) throws -> pid_t {
        pid_t(try String(contentsOfFile: "\(directory)/\(node).pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    /// The writer's log end, from its `/metrics`.
    func writerEnd() async throws -> Int? {
        let metrics = try await exchange("GET", self["WRITER"] + "/metrics").rawBody
        return metrics.split(separator: "\n").first { $0.hasPrefix("moviemash_log_position ") }
            .flatMap { Double($0.split(separator: " ")[1]) }.map { Int($0) }
    }

    /// Every node's base URL.
    var nodes: [String] { [self["WRITER"], "http://127.0.0.1:" + self["REPLICA_1_PORT"], "http://127.0.0.1:" + self["REPLICA_2_PORT"]] }

    /// Runs `Scripts/cluster ARGUMENTS` against this cluster to completion.
    func command(_ arguments: [String]) async throws -> ProcessResult {
        try await runStartingServers(repositoryRoot.appendingPathComponent("Scripts/cluster").path, arguments)
    }

    /// SIGTERM to the script: it stops every process (snapshots written) and both databases.
    func stop() async -> Bool {
        kill(script, SIGTERM)
        return await exitStatus(of: script, timeout: .seconds(180)) == 0
    }
}

extension WritePathFaultTests {
    /// Under `WritePathFaultTests` so that it is serialized with the other suites that run real servers
    /// under crowds of voters.
    @Suite struct ClusterTests {

        /// Every vote event's id in `rows` of the events table at `url`, with how often it is there.
        static func voteCounts(_ url: String) async throws -> [String: Int] {
            let ids = try await PostgresTesting.withConnection(try PostgresURL(url)) { connection in
                try await PostgresTesting.strings("SELECT payload ->> 'voteID' FROM events WHERE type = 'VoteCast'", on: connection)
            }
            return ids.reduce(into: [:]) { $0[$1?.uppercased() ?? "", default: 0] += 1 }
        }

        /// Every converged node reflects the writer's whole log: how long that took from `since`.
        static func converge(_ cluster: RunningCluster, since: ContinuousClock.Instant) async throws -> (end: Int, after: Duration) {
            let end = try #require(try await cluster.writerEnd())
            #expect(try await eventually(timeout: .seconds(60)) {
                var positions: [Int] = []
                for node in cluster.nodes { positions.append(try await exchange("GET", node + "/health").position ?? -1) }
                return positions.allSatisfy { $0 == end }
            })
            return (end, ContinuousClock.now - since)
        }

        /// Reads reflect every projection but the Bradley–Terry counts, which publish once a second (only
        /// the background fit reads them): waits until `/metrics` has them at the end on every node too.
        static func countsConverge(_ cluster: RunningCluster) async throws {
            #expect(try await eventually(timeout: .seconds(60)) {
                for node in cluster.nodes {
                    guard let metrics = await ServeCommandTests.get(node + "/metrics"),
                          metrics.body.contains("moviemash_projector_lag_events{projector=\"bradley-terry\"} 0.0") else { return false }
                }
                return true
            })
        }

        /// Two standby writers, a replica and HAProxy: the two start at once and exactly one leads; then ten
        /// rounds under voters, each killing (-9) or pausing past its lease whichever writer leads, with
        /// no person in the loop. `Scripts/cluster chaos` checks every acknowledged vote is in the table
        /// once, positions dense, the leader's log equal to the table, and every paused writer stepping
        /// down (it exits, and its supervisor starts it again as a standby that cuts its log back; how the
        /// cut itself behaves is `WriterLeaseTests`').
        @Test func writersFailOverByThemselvesUnderKillsAndPauses() async throws {
            if !FileManager.default.fileExists(atPath: "/usr/sbin/haproxy") { _ = try TestEnvironment.tool("haproxy") }
            _ = try TestEnvironment.value(of: "MOVIEMASH_TEST_PG_BIN", for: "PostgreSQL's binaries")
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            try await WritePathFaultTests.catalogueLog(at: directory.file("catalogue"), seed: 37)
            let cluster = try await RunningCluster(
                log: directory.file("catalogue"), durability: "replicated", directory: directory.file("cluster"), writers: 2, replicas: 1)
            var stopped = false
            defer { if !stopped { kill(cluster.script, SIGTERM) } }
            let writers = ["1", "2"].map { "http://127.0.0.1:" + cluster["WRITER_\($0)_PORT"] }
            let leading: @Sendable () async -> Int = {
                var count = 0
                for writer in writers where await ServeCommandTests.get(writer + "/ready/writer")?.status == 200 { count += 1 }
                return count
            }
            #expect(try await eventually(timeout: .seconds(60)) { await leading() == 1 }, "two writers started at once: one leads")
            #expect(await leading() == 1)

            let chaos = try await cluster.command(["chaos", cluster.directory, "--rounds", "10"])
            print(chaos.output)
            #expect(chaos.status == 0, "\(chaos.output)\(chaos.error)")
            let last = chaos.output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("rounds 10, ") && last.contains(", lost 0, duplicates 0, "), "\(last)")
            let outputs = writers.indices.map { (try? String(contentsOfFile: "\(cluster.directory)/writer-\($0 + 1).out", encoding: .utf8)) ?? "" }
            let stepDowns = outputs.map { $0.components(separatedBy: "stepped down as the writer").count - 1 }.reduce(0, +)
            #expect(stepDowns >= 5, "each of the five paused writers stepped down")
            // The leader publishes the analysts' derived tables, as a lone writer does.
            let primary = try PostgresURL(cluster["PRIMARY_URL"])
            #expect(try await eventually(timeout: .seconds(60)) {
                let fits = try await PostgresTesting.withConnection(primary) { connection in
                    try await PostgresTesting.strings("SELECT count(*)::text FROM derived.leaderboard_fits", on: connection)
                }
                return (fits.first??.description).flatMap { Int($0) }.map { $0 > 0 } ?? false
            }, "a leading standby writer writes derived.leaderboard_fits")
            let cuts = outputs.joined().components(separatedBy: "cut the log back").count - 1
            print("writer failover: \(stepDowns) step-downs, \(cuts) returning writers cut appends the table never held")
            stopped = true
            #expect(await cluster.stop())
        }

        /// One cluster, replicated durability, through HAProxy all along: 5,000+ votes from many voters; a
        /// replica killed and restarted under load; the failover drill; then every copy checked.
        @Test func votesThroughHAProxySurviveAKilledReplicaAndTheFailoverDrill() async throws {
            if !FileManager.default.fileExists(atPath: "/usr/sbin/haproxy") { _ = try TestEnvironment.tool("haproxy") }
            _ = try TestEnvironment.value(of: "MOVIEMASH_TEST_PG_BIN", for: "PostgreSQL's binaries")
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            try await WritePathFaultTests.catalogueLog(at: directory.file("catalogue"), seed: 31)
            let cluster = try await RunningCluster(log: directory.file("catalogue"), durability: "replicated", directory: directory.file("cluster"))
            var stopped = false
            defer { if !stopped { kill(cluster.script, SIGTERM) } }

            // Operators read /metrics on each node; the public front does not pass it on.
            #expect(await ServeCommandTests.get(cluster["HAPROXY"] + "/metrics")?.status == 404)
            #expect(await ServeCommandTests.get(cluster["WRITER"] + "/metrics")?.body.contains("moviemash_log_position") == true)
            let arguments = (try? String(contentsOfFile: "/proc/\(try cluster.pid("writer"))/cmdline", encoding: .utf8)) ?? ""
            #expect(!arguments.isEmpty && !arguments.contains("postgres://") && !arguments.contains("cluster:"), "no secret on the writer's command line")

            let crowd = VoterCrowd()
            let voting = Task { await crowd.run(base: cluster["HAPROXY"], voters: 24, prefix: "crowd") }
            #expect(try await eventually(timeout: .seconds(240)) { crowd.ackCount >= 1500 }, "\(crowd.refusals.withLock { $0 })")

            // A leaderboard walk through HAProxy while votes flow (each node refits on its own, so the nodes
            // hold different fits): every next page goes to the node holding the walk's fit, never 410.
            var path: String? = "/api/leaderboard/sets?limit=3", statuses: [Int] = []
            while let next = path, statuses.count < 12 {
                let page = await ServeCommandTests.get(cluster["HAPROXY"] + next)
                statuses.append(page?.status ?? 0)
                let body = (page?.body).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                path = page?.status == 200 ? body?["next"] as? String : nil
            }
            #expect(statuses == Array(repeating: 200, count: 12), "\(statuses)")

            // kill -9 a replica under load, once its snapshots (by age, every second here) cover some votes:
            // HAProxy's checks (every 500 ms, down after 2) take it out.
            let replicaSnapshots = SnapshotStore(directory: cluster.directory + "/replica-1-snapshots")
            let cells = Projectors.fresh().map { type(of: $0).name }
            // Where the runtime resumes: the least position its cells' snapshots cover.
            let snapshotted: @Sendable () -> UInt64 = { cells.map { ((try? replicaSnapshots.read($0))??.header.position) ?? 0 }.min() ?? 0 }
            #expect(try await eventually(timeout: .seconds(60)) { snapshotted() > 1000 })
            kill(try cluster.pid("replica-1"), SIGKILL)
            let killed = ContinuousClock.now
            #expect(try await eventually(timeout: .seconds(30)) { await cluster.serverStates(backend: "reads")["replica-1"] == "DOWN" })
            let bypassedAfter = ContinuousClock.now - killed
            #expect(bypassedAfter < .seconds(5), "HAProxy took \(bypassedAfter) to stop sending to the dead replica")
            let acksAtKill = crowd.ackCount
            #expect(try await eventually(timeout: .seconds(240)) { crowd.ackCount >= acksAtKill + 1500 }, "votes go on without it")

            // Restarted, it resumes from its snapshots (not from position 0) and HAProxy sends to it again.
            let resumedFrom = snapshotted()
            #expect(resumedFrom > 1000)
            let restarted = try await cluster.command(["replica", cluster.directory, "1"])
            #expect(restarted.status == 0, "\(restarted.output)\(restarted.error)")
            #expect(try await eventually(timeout: .seconds(60)) {
                let output = (try? String(contentsOfFile: cluster.directory + "/replica-1.out", encoding: .utf8)) ?? ""
                return output.split(separator: "\n").last { $0.contains("projections resume") }?.contains("from=\(resumedFrom)") == true
            }, "the restarted replica read from its snapshots' position \(resumedFrom)")
            #expect(try await eventually(timeout: .seconds(60)) { await cluster.serverStates(backend: "reads")["replica-1"] == "UP" })
            #expect(try await eventually(timeout: .seconds(240)) { crowd.ackCount >= 5200 })
            crowd.stop()
            await voting.value
            let refusals = crowd.refusals.withLock { $0 }
            #expect(refusals.keys.allSatisfy { !$0.hasPrefix("409") && !$0.hasPrefix("401") }, "\(refusals)")

            // Every node reflects the writer's whole log within 2 s of the last vote.
            let (end, converged) = try await Self.converge(cluster, since: .now)
            #expect(converged < .seconds(2), "the nodes reflected the last vote after \(converged)")

            // Every acknowledged vote is in the primary and the standby exactly once.
            let acks = crowd.acks.withLock { $0 }
            #expect(acks.count >= 5000)
            for url in [cluster["PRIMARY_URL"], cluster["STANDBY_URL"]] {
                let counts = try await Self.voteCounts(url)
                #expect(acks.allSatisfy { counts[$0.voteID.uppercased()] == 1 }, "\(url): an acknowledged vote missing or twice")
                #expect(counts.values.allSatisfy { $0 == 1 })
            }

            // The drill, mid-stream: the writer's machine is lost, the standby is promoted, the log restored
            // from it and a new writer started; the voters keep going through HAProxy all along.
            let drillCrowd = VoterCrowd()
            let drilling = Task { await drillCrowd.run(base: cluster["HAPROXY"], voters: 16, prefix: "drill") }
            #expect(try await eventually(timeout: .seconds(240)) { drillCrowd.ackCount >= 500 })
            let drill = try await cluster.command(["failover", cluster.directory])
            #expect(drill.status == 0, "\(drill.output)\(drill.error)")
            let acksAtFailover = drillCrowd.ackCount
            #expect(try await eventually(timeout: .seconds(240)) { drillCrowd.ackCount >= acksAtFailover + 500 }, "votes resume on the new writer")
            drillCrowd.stop()
            await drilling.value
            let (finalEnd, _) = try await Self.converge(cluster, since: .now)
            try await Self.countsConverge(cluster)

            // Stopped: RPO 0 — every vote acknowledged before, during or after the loss is in the new writer's
            // log once, at the position it was acknowledged with; every node's projections, snapshotted at
            // shutdown, are the same states at the same position.
            stopped = true
            #expect(await cluster.stop())
            let allAcks = acks + drillCrowd.acks.withLock { $0 }
            let logged = try WritePathFaultTests.votes(in: cluster.directory + "/writer-log")
            let byID = Dictionary(logged.map { ($0.voteID, [$0.position]) }, uniquingKeysWith: +)
            let lost = allAcks.filter { byID[$0.voteID] == nil }
            #expect(lost.isEmpty, "\(lost.count) acknowledged votes lost")
            #expect(allAcks.allSatisfy { byID[$0.voteID] == [UInt64($0.position)] }, "each at the position it was acknowledged with")
            #expect(byID.values.allSatisfy { $0.count == 1 })
            let writerSnapshots = SnapshotStore(directory: cluster.directory + "/writer-snapshots")
            for name in [Catalogue.name, Tallies.name, EloRatings.name, BradleyTerryCounts.name, RecentPairs.name, Accounts.name] {
                let expected = try #require(try writerSnapshots.read(name)?.header)
                #expect(expected.position == UInt64(finalEnd))
                for replica in ["replica-1", "replica-2"] {
                    let header = try SnapshotStore(directory: "\(cluster.directory)/\(replica)-snapshots").read(name)?.header
                    #expect(header?.position == expected.position && header?.stateHash == expected.stateHash, "\(replica) \(name)")
                }
            }
            let rto = drill.output.split(separator: "\n").first { $0.hasPrefix("failover done") } ?? ""
            print("cluster: \(acks.count) votes through HAProxy (log end \(end)); replica bypassed \(bypassedAfter) after kill -9; nodes converged \(converged) after the last vote; refusals \(refusals)")
            print("failover drill: \(allAcks.count) acknowledged votes in all, \(lost.count) lost; \(rto); refusals \(drillCrowd.refusals.withLock { $0 })")
        }
    }
}
