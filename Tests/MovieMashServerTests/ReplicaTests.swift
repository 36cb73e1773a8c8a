import EventLog
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Gateway
import Logging
import MovieMashCore
import MovieMashServer
import PostgresMirror
import Projections
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// A writer mirroring into a PostgreSQL primary, a streaming standby, and a replica node that builds
/// everything from the standby and forwards writes: all real, on loopback, the nodes in-process.
@Suite(.serialized) struct ReplicaTests {

    /// A request asking for `position`, sent again as a client would while the node answers `503
    /// stale-replica` (each answer already waited the node's bound), until a minute has passed: under the
    /// whole suite the standby's replay can take longer than one bound. Any other answer is returned.
    static func readingYourWrite(_ method: String, _ url: String, json: [String: Any]? = nil, position: Int) async throws -> HTTPExchange {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let answer = try await exchange(method, url, json: json, headers: ["MovieMash-Min-Position": "\(position)"])
            guard answer.status == 503, answer.body["type"] as? String == "https://moviemash.example/problems/stale-replica",
                  ContinuousClock.now < deadline else { return answer }
        }
    }

    @Test func aReplicaOnAStandbyServesTheWritersStateAndForwardsItsWrites() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let primary = try TestCluster()
        defer { primary.remove() }
        let standby = try TestCluster(standbyOf: primary)
        defer { standby.remove() }
        let database = try await PostgresTesting.createDatabase(on: primary.url)
        let events = sampleLogEvents(seed: 6, films: 60, sets: 40, voters: 20, votes: 2000).events
        try await writeClosedLog(events, to: directory.file("log"))
        let keys = try SigningKeys(parsing: "k1:a-shared-secret-of-at-least-32-bytes-long")

        var writerConfiguration = ServerConfiguration(data: directory.file("log"))
        writerConfiguration.gateway.port = 0
        writerConfiguration.postgres = database.url
        writerConfiguration.signingKeys = keys
        let writer = try await startNode(writerConfiguration)
        // The mirror creates the schema; then the replica gets a login of the replica role. Alone this takes
        // seconds; under the whole suite (two more clusters being made, the cluster drill) it once took over
        // a minute, so the deadline is generous.
        #expect(try await eventually(timeout: .seconds(180)) { writer.server.mirror?.status.nextPosition == UInt64(events.count) })
        _ = try await PostgresTesting.withConnection(database.url) {
            try await $0.query("CREATE ROLE replica_b LOGIN IN ROLE moviemash_replica", logger: PostgresTesting.logger)
        }

        var replicaConfiguration = ServerConfiguration(data: "")
        replicaConfiguration.role = .replica
        replicaConfiguration.gateway.port = 0
        replicaConfiguration.events = standby.url(database: database.name, user: "replica_b")
        replicaConfiguration.writer = WriteForwarding(writer: writer.base)
        replicaConfiguration.signingKeys = keys
        replicaConfiguration.snapshotDirectory = directory.file("replica-snapshots")
        // Longer than the default 2 s: with the whole suite on two cores, the standby's replay and the
        // replica's polling can take that long; a client would retry after Retry-After instead.
        replicaConfiguration.positionWait = .seconds(8)
        let replica = try await startNode(replicaConfiguration)
        #expect(try await eventually(timeout: .seconds(90)) { await ServerTests.get(replica.base + "/ready")?.status == 200 })
        let board = await ServerTests.get(replica.base + "/api/leaderboard/sets?limit=3")
        #expect(board?.status == 200 && board?.body.contains("\"total\":40") == true)

        // Register through the writer; log in through the replica at once, asking for the registration's
        // position: never a 401 for a just-registered user.
        let credentials = ["username": "grace", "password": "correct horse battery"]
        let registered = try await exchange("POST", writer.base + "/api/auth/register", json: credentials)
        #expect(registered.status == 201)
        let registration = try #require(registered.position, "\(registered.headers)")
        #expect(registration == (registered.body["position"] as? Int).map { $0 + 1 })
        let login = try await Self.readingYourWrite(
            "POST", replica.base + "/api/auth/login", json: credentials, position: registration)
        #expect(login.status == 200, "\(login.body)")
        #expect((login.position ?? 0) >= registration)
        let bearer = try #require(login.body["token"] as? String)
        var positions: [Int] = []
        for _ in 0..<5 {
            let next = try await exchange("GET", replica.base + "/api/comparisons/next", bearer: bearer)
            let ticket = try #require(next.body["ticket"] as? String, "\(next.body)")
            let winner = try #require((next.body["setA"] as? [String: Any])?["id"] as? String)
            let wins = try await exchange("GET", replica.base + "/api/sets/\(winner)").body["wins"] as? Int
            let vote = try await exchange("POST", replica.base + "/api/votes", json: ["ticket": ticket, "winner": "setA"], bearer: bearer)
            #expect(vote.status == 201, "forwarded to the writer: \(vote.body)")
            positions.append(try #require(vote.body["position"] as? Int))
            #expect(vote.position == positions.last.map { $0 + 1 }, "the writer's position header comes back unchanged")
            // Read your write on the replica: asking for the vote's position shows it counted.
            let seen = try await Self.readingYourWrite("GET", replica.base + "/api/sets/\(winner)", position: vote.position ?? 0)
            #expect(seen.status == 200 && seen.body["wins"] as? Int == wins.map { $0 + 1 }, "\(seen.body)")
            #expect((seen.position ?? 0) >= vote.position ?? .max)
            let again = try await exchange("POST", replica.base + "/api/votes", json: ["ticket": ticket, "winner": "setA"], bearer: bearer)
            #expect(again.status == 409, "the writer's answer comes back unchanged")
        }
        // A position no node has yet: the replica waits its bound, then says it is behind.
        let ahead = try await exchange("GET", replica.base + "/api/leaderboard/sets", headers: ["MovieMash-Min-Position": "\(Int(Int32.max))"])
        #expect(ahead.status == 503 && (ahead.body["type"] as? String)?.hasSuffix("/stale-replica") == true && ahead.headers["retry-after"] != nil)
        #expect(try await exchange("GET", replica.base + "/api/leaderboard/sets", headers: ["MovieMash-Min-Position": "soon"]).status == 400)
        let writerLog = try #require(writer.server.log)
        #expect(positions.allSatisfy { $0 < Int(writerLog.endPosition) })
        let end = writerLog.endPosition
        #expect(try await eventually(timeout: .seconds(60)) {
            replica.server.projectors.position == end && writer.server.projectors.position == end
        }, "\(replica.server.projectors.positions)")
        #expect(replica.server.projectors.tallies.current.state.stateHash == writer.server.projectors.tallies.current.state.stateHash)
        #expect(replica.server.projectors.elo.current.state.stateHash == writer.server.projectors.elo.current.state.stateHash)

        // The standby stops: the replica turns unready, the writer keeps taking votes.
        try standby.stopImmediately()
        #expect(try await eventually(timeout: .seconds(60)) { await ServerTests.get(replica.base + "/ready")?.status == 503 })
        let ready = await ServerTests.get(replica.base + "/ready")
        #expect(ready?.body.contains("source") == true, "\(ready?.body ?? "")")
        let next = try await exchange("GET", writer.base + "/api/comparisons/next", bearer: bearer)
        let vote = try await exchange("POST", writer.base + "/api/votes", json: ["ticket": next.body["ticket"] as? String ?? "", "winner": "setB"], bearer: bearer)
        #expect(vote.status == 201)
        try standby.start()
        #expect(try await eventually(timeout: .seconds(90)) {
            replica.server.projectors.positions.allSatisfy { $0.position == writerLog.endPosition }
        }, "it catches up once the standby is back")
        #expect(try await eventually(timeout: .seconds(60)) { await ServerTests.get(replica.base + "/ready")?.status == 200 })

        await replica.group.triggerGracefulShutdown()
        try await replica.running.value
        await writer.group.triggerGracefulShutdown()
        try await writer.running.value
        await database.drop()
    }
}
