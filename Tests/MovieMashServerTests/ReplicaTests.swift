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
    static func send(_ method: String, _ url: String, json: [String: Any]? = nil, bearer: String? = nil) async throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let bearer { request.setValue("Bearer " + bearer, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    /// Runs `server` in its own service group; returns its base URL and the running group.
    static func start(_ configuration: ServerConfiguration) async throws -> (server: Server, base: String, group: ServiceGroup, running: Task<Void, any Error>) {
        let port = Mutex<Int?>(nil)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let server = try await Server(configuration: configuration, logger: logger) { bound in port.withLock { $0 = bound } }
        let group = ServiceGroup(services: [server], logger: logger)
        let running = Task { try await group.run() }
        #expect(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != nil })
        return (server, "http://127.0.0.1:\(port.withLock { $0 }!)", group, running)
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
        let writer = try await Self.start(writerConfiguration)
        // The mirror creates the schema; then the replica gets a login of the replica role.
        #expect(try await eventually(timeout: .seconds(60)) { writer.server.mirror?.status.nextPosition == UInt64(events.count) })
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
        let replica = try await Self.start(replicaConfiguration)
        #expect(try await eventually(timeout: .seconds(90)) { await ServerTests.get(replica.base + "/ready")?.status == 200 })
        let board = await ServerTests.get(replica.base + "/api/leaderboard/sets?limit=3")
        #expect(board?.status == 200 && board?.body.contains("\"total\":40") == true)

        // Register through the writer, log in through the replica once it has the account, vote there.
        let credentials = ["username": "grace", "password": "correct horse battery"]
        #expect(try await Self.send("POST", writer.base + "/api/auth/register", json: credentials).status == 201)
        let token = Mutex<String?>(nil)
        #expect(try await eventually(timeout: .seconds(60)) {
            let login = try await Self.send("POST", replica.base + "/api/auth/login", json: credentials)
            token.withLock { $0 = login.body["token"] as? String }
            return login.status == 200
        })
        let bearer = try #require(token.withLock { $0 })
        var positions: [Int] = []
        for _ in 0..<5 {
            let next = try await Self.send("GET", replica.base + "/api/comparisons/next", bearer: bearer)
            let ticket = try #require(next.body["ticket"] as? String, "\(next)")
            let vote = try await Self.send("POST", replica.base + "/api/votes", json: ["ticket": ticket, "winner": "setA"], bearer: bearer)
            #expect(vote.status == 201, "forwarded to the writer: \(vote)")
            positions.append(try #require(vote.body["position"] as? Int))
            let again = try await Self.send("POST", replica.base + "/api/votes", json: ["ticket": ticket, "winner": "setA"], bearer: bearer)
            #expect(again.status == 409, "the writer's answer comes back unchanged")
        }
        let writerLog = try #require(writer.server.log)
        #expect(positions.allSatisfy { $0 < Int(writerLog.endPosition) })
        let end = writerLog.endPosition
        #expect(try await eventually(timeout: .seconds(60)) {
            replica.server.projectors.positions.allSatisfy { $0.position == end }
        }, "\(replica.server.projectors.positions)")
        #expect(replica.server.projectors.tallies.current.state.stateHash == writer.server.projectors.tallies.current.state.stateHash)
        #expect(replica.server.projectors.elo.current.state.stateHash == writer.server.projectors.elo.current.state.stateHash)

        // The standby stops: the replica turns unready, the writer keeps taking votes.
        try standby.stopImmediately()
        #expect(try await eventually(timeout: .seconds(60)) { await ServerTests.get(replica.base + "/ready")?.status == 503 })
        let ready = await ServerTests.get(replica.base + "/ready")
        #expect(ready?.body.contains("source") == true, "\(ready?.body ?? "")")
        let next = try await Self.send("GET", writer.base + "/api/comparisons/next", bearer: bearer)
        let vote = try await Self.send("POST", writer.base + "/api/votes", json: ["ticket": next.body["ticket"] as? String ?? "", "winner": "setB"], bearer: bearer)
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
