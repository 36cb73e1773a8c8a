import EventLog
import EventStore
import Foundation
import KeyVault
import MovieMashCore
import PostgresNIO
import Testing
import TestSupport

/// Accounts people control, through the real binary: their own votes and export, a password change, and
/// erasure by crypto-shredding, after which the name is readable nowhere (log, snapshots, key store,
/// PostgreSQL, the API) while every vote and rating stays.
@Suite struct ErasureTests {
    static let binary = ServeCommandTests.binary

    /// Whether `haystack` holds `needle`, ignoring ASCII case.
    static func holds(_ haystack: [UInt8], _ needle: String) -> Bool {
        let target = Array(needle.lowercased().utf8)
        guard haystack.count >= target.count else { return false }
        let lowered = haystack.map { (65...90).contains($0) ? $0 + 32 : $0 }
        return (0...(lowered.count - target.count)).contains { start in
            lowered[start] == target[0] && lowered[start..<(start + target.count)].elementsEqual(target)
        }
    }

    /// Every regular file's bytes under `directory`, by path.
    static func files(under directory: String) -> [(path: String, bytes: [UInt8])] {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        var found: [(String, [UInt8])] = []
        while let name = enumerator?.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               let data = FileManager.default.contents(atPath: path) {
                found.append((path, [UInt8](data)))
            }
        }
        return found
    }

    /// Each set's Elo, wins and losses (what every vote moves, whichever fit is served), as canonical JSON,
    /// read once the node reflects `position`.
    static func board(_ base: String, after position: Int) async throws -> Data {
        let answer = try await exchange("GET", base + "/api/leaderboard/sets?limit=100", headers: ["MovieMash-Min-Position": "\(position)"])
        var sets: [String: [Any]] = [:]
        for item in answer.body["items"] as? [[String: Any]] ?? [] {
            sets[item["id"] as? String ?? ""] = [item["elo"] ?? 0, item["wins"] ?? 0, item["losses"] ?? 0]
        }
        return try JSONSerialization.data(withJSONObject: sets, options: .sortedKeys)
    }

    static func events(in log: String) throws -> [EventEnvelope] {
        let reader = try EventLog(directory: log, mode: .readOnly)
        return try reader.read(from: 0).map { try EventEnvelope($0) }
    }

    @Test func anErasedNameIsReadableNowhereWhileTheirVotesAndTheRatingsStay() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        try await writeClosedLog(sampleLogEvents(seed: 21, films: 60, sets: 30, voters: 5, votes: 400).events, to: directory.file("log"))
        let (log, snapshots, keys) = (directory.file("log"), directory.file("snapshots"), directory.file("keys"))
        let port = try freePort()
        let server = try ServeCommandTests.start([
            "serve", "--data", log, "--port", "\(port)", "--snapshot-dir", snapshots, "--key-store", keys,
            "--postgres", database.urlText, "--account-limit", "1000/1000",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(90)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })

        let name = "Erasable_Person", password = "correct horse battery"
        let registered = try await exchange("POST", base + "/api/auth/register", json: ["username": name, "password": password])
        #expect(registered.status == 201)
        let userID = try #require((registered.body["userID"] as? String).flatMap(UUID.init(uuidString:)))
        let token = try #require(try await exchange("POST", base + "/api/auth/login", json: ["username": name, "password": password]).body["token"] as? String)
        var voteIDs: [String] = [], last = 0
        for index in 0..<6 {
            let next = try await exchange("GET", base + "/api/comparisons/next", bearer: token)
            let vote = try await exchange(
                "POST", base + "/api/votes", json: ["ticket": next.body["ticket"] as? String ?? "", "winner": index % 2 == 0 ? "setA" : "setB"],
                bearer: token)
            #expect(vote.status == 201)
            voteIDs.append(try #require(vote.body["voteID"] as? String))
            #expect(vote.headers["location"] == "/api/me/votes/\(voteIDs.last!)")
            last = try #require(vote.position)
        }

        // Read your writes: the node answers once it reflects the last vote.
        let seen = ["MovieMash-Min-Position": "\(last)"]
        let me = try await exchange("GET", base + "/api/me", bearer: token, headers: seen)
        #expect(me.status == 200 && me.body["username"] as? String == name && me.body["votes"] as? Int == 6, "\(me.rawBody)")
        #expect((me.body["mostChosen"] as? [[String: Any]])?.isEmpty == false)
        let page = try await exchange("GET", base + "/api/me/votes?limit=4", bearer: token, headers: seen)
        let items = try #require(page.body["items"] as? [[String: Any]])
        #expect(page.body["total"] as? Int == 6 && items.count == 4)
        #expect(items.compactMap { $0["voteID"] as? String } == Array(voteIDs.reversed().prefix(4)), "newest first")
        #expect(items.allSatisfy { vote in
            ["filmsA", "filmsB"].allSatisfy { ((vote[$0] as? [[String: Any]]) ?? []).compactMap { $0["title"] as? String }.count == 4 }
        }, "each vote shows both sets' films by title")
        let one = try await exchange("GET", base + "/api/me/votes/\(voteIDs[0])", bearer: token, headers: seen)
        #expect(one.status == 200 && one.body["voteID"] as? String == voteIDs[0] && one.body["winner"] as? String == "setA", "\(one.rawBody)")
        let export = try await exchange("GET", base + "/api/me/export", bearer: token, headers: seen)
        #expect(export.status == 200 && export.headers["content-disposition"]?.contains("attachment") == true)
        let exported = try #require(export.body["votes"] as? [[String: Any]])
        #expect(Set(exported.compactMap { $0["voteID"] as? String }) == Set(voteIDs), "every vote is in the export")
        #expect((export.body["account"] as? [String: Any])?["username"] as? String == name)
        let picks = try #require(export.body["recommendations"] as? [[String: Any]])
        #expect(!picks.isEmpty && picks.allSatisfy { (($0["film"] as? [String: Any])?["title"] as? String) != nil }, "films named by title")

        // Before: the key exists and opens the sealed registration.
        #expect(FileManager.default.fileExists(atPath: keys + "/\(userID.uuidString).key"))
        let before = try await Self.board(base, after: last)

        #expect(try await exchange("DELETE", base + "/api/me", json: ["password": "not the password"], bearer: token).status == 403)
        let erased = try await exchange("DELETE", base + "/api/me", json: ["password": password], bearer: token)
        #expect(erased.status == 204, "\(erased.rawBody)")
        #expect(!FileManager.default.fileExists(atPath: keys + "/\(userID.uuidString).key"), "the key is destroyed")
        let refused = try await exchange("GET", base + "/api/me", bearer: token)
        #expect(refused.status == 401 && refused.rawBody.contains("token-ended"))
        #expect(try await exchange("GET", base + "/api/comparisons/next", bearer: token).status == 401)
        #expect(try await exchange("POST", base + "/api/auth/login", json: ["username": name, "password": password]).status == 401)

        // The ratings and tallies did not move: the votes stay.
        #expect(try await Self.board(base, after: last) == before)
        // No answer of the API shows the name.
        let end = try #require(erased.position)
        for path in ["/api/leaderboard/sets?limit=100", "/api/leaderboard/movies?limit=100", "/metrics", "/ready", "/health"] {
            let answer = try await exchange("GET", base + path)
            #expect(!Self.holds(Array(answer.rawBody.utf8), name), "\(path) shows the erased name")
        }
        // Nor does PostgreSQL, once the mirror holds the erasure.
        try await PostgresTesting.withConnection(database.url) { connection in
            #expect(try await eventually(timeout: .seconds(60)) {
                try await PostgresTesting.strings("SELECT count(*)::text FROM events", on: connection) == ["\(end)"]
            })
            for relation in ["events", "analytics.voters", "analytics.votes", "users_public", "votes"] {
                let hits = try await PostgresTesting.strings(
                    "SELECT count(*)::text FROM \(relation) r WHERE r::text ILIKE '%\(name)%'", on: connection)
                #expect(hits == ["0"], "\(relation) holds the name")
            }
            let row = try await PostgresTesting.strings(
                "SELECT (erased_at IS NOT NULL)::text FROM users_public WHERE user_id = '\(userID.uuidString)'", on: connection)
            #expect(row == ["true"], "users_public says the voter erased their account")
            let votes = try await PostgresTesting.strings(
                "SELECT count(*)::text FROM votes WHERE user_id = '\(userID.uuidString)'", on: connection)
            #expect(votes == ["6"], "the votes stay, as anonymous facts")
        }

        // The name is free again; the old token stays refused.
        #expect(try await exchange("POST", base + "/api/auth/register", json: ["username": name, "password": "another password"]).status == 201)
        #expect(try await exchange("POST", base + "/api/auth/login", json: ["username": name, "password": "another password"]).status == 200)
        #expect(try await exchange("GET", base + "/api/me", bearer: token).status == 401)

        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server) && server.terminationStatus == 0)
        // Every byte at rest: log segments and indexes, snapshots (written at shutdown), the key store.
        for directory in [log, snapshots, keys] {
            let found = Self.files(under: directory)
            #expect(!found.isEmpty || directory == keys)
            for (path, bytes) in found { #expect(!Self.holds(bytes, name), "\(path) holds the name") }
        }
        #expect(Self.files(under: snapshots).contains { $0.path.hasSuffix("accounts.snapshot") })
        // Each record decompressed too; the first registration no longer opens, the second does.
        let stored = try Self.events(in: log)
        for event in stored { #expect(!Self.holds(EventCodec.encode(event.event, occurredAt: event.occurredAt), name)) }
        let vault = try KeyStore(directory: keys)
        let registrations = stored.compactMap { if case .userRegistered(let user) = $0.event { user } else { nil } }.suffix(2)
        #expect(registrations.first?.userID == userID && registrations.first?.personal.open(for: userID, with: vault) == nil)
        #expect(registrations.last?.personal.open(for: registrations.last!.userID, with: vault)?.username == name)
        #expect(stored.contains { $0.event == .userErased(UserErased(userID: userID)) })
        #expect(stored.filter { if case .voteCast(let vote) = $0.event { vote.userID == userID } else { false } }.count == 6)

        let verify = try await run(Self.binary, ["replay", "--data", log, "--snapshot-dir", snapshots, "--verify"])
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")
        #expect(verify.output.contains("accounts: equal to the snapshot"), "\(verify.output)")
    }

    @Test func aPasswordChangeEndsEveryOlderTokenAndSignOutEndsOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await writeClosedLog(sampleLogEvents(seed: 22, films: 40, sets: 20, voters: 3, votes: 100).events, to: directory.file("log"))
        let port = try freePort()
        let server = try ServeCommandTests.start([
            "serve", "--data", directory.file("log"), "--port", "\(port)", "--account-limit", "0.001/3",
        ])
        defer { if server.isRunning { server.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        #expect(try await eventually(timeout: .seconds(90)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
        let credentials = ["username": "changer", "password": "first password"]
        #expect(try await exchange("POST", base + "/api/auth/register", json: credentials).status == 201)
        let login = { try await exchange("POST", base + "/api/auth/login", json: $0).body["token"] as? String }
        let first = try #require(try await login(credentials)), second = try #require(try await login(credentials))

        let wrong = try await exchange("PUT", base + "/api/me/password", json: ["currentPassword": "guess", "newPassword": "second password"], bearer: first)
        #expect(wrong.status == 403 && wrong.rawBody.contains("wrong-password"))
        let short = try await exchange("PUT", base + "/api/me/password", json: ["currentPassword": "first password", "newPassword": "short"], bearer: first)
        #expect(short.status == 400)
        let changed = try await exchange(
            "PUT", base + "/api/me/password", json: ["currentPassword": "first password", "newPassword": "second password"], bearer: first)
        #expect(changed.status == 200, "\(changed.rawBody)")
        let renewed = try #require(changed.body["token"] as? String)
        for old in [first, second] { #expect(try await exchange("GET", base + "/api/me", bearer: old).status == 401) }
        #expect(try await exchange("GET", base + "/api/me", bearer: renewed).status == 200)
        #expect(try await exchange("POST", base + "/api/auth/login", json: credentials).status == 401)
        let third = try #require(try await login(["username": "changer", "password": "second password"]))

        // Three account changes in a burst of three (refilled over 1000 s): the next is refused.
        let limited = try await exchange("POST", base + "/api/auth/logout", bearer: third)
        #expect(limited.status == 429 && limited.headers["retry-after"] != nil)

        // Sign-out ends the token it names, not the voter's others (another voter: the limit is per voter).
        let leaver = ["username": "leaver", "password": "correct horse battery"]
        #expect(try await exchange("POST", base + "/api/auth/register", json: leaver).status == 201)
        let ending = try #require(try await login(leaver)), staying = try #require(try await login(leaver))
        #expect(try await exchange("POST", base + "/api/auth/logout", bearer: ending).status == 204)
        #expect(try await exchange("GET", base + "/api/me", bearer: ending).status == 401)
        #expect(try await exchange("GET", base + "/api/me", bearer: staying).status == 200)
        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server))
    }

    /// SIGKILL at any moment of an erasure: once the node is back, the key is gone exactly when the log
    /// holds `UserErased` (the event is appended first; a start completes an erasure a crash interrupted).
    @Test func killedDuringErasureTheKeyIsGoneExactlyWhenTheLogSaysErased() async throws {
        var random = SystemRandomNumberGenerator()
        var outcomes: [Bool] = []
        for round in 0..<4 {
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let (log, keys) = (directory.file("log"), directory.file("keys"))
            try await writeClosedLog(sampleLogEvents(seed: UInt64(30 + round), films: 30, sets: 12, voters: 2, votes: 50).events, to: log)
            let port = try freePort()
            let arguments = { (port: Int) in ["serve", "--data", log, "--port", "\(port)", "--key-store", keys] }
            let server = try ServeCommandTests.start(arguments(port))
            defer { if server.isRunning { server.terminate() } }
            let base = "http://127.0.0.1:\(port)"
            #expect(try await eventually(timeout: .seconds(90)) { await ServeCommandTests.get(base + "/ready")?.status == 200 })
            let credentials = ["username": "doomed\(round)", "password": "correct horse battery"]
            let user = try #require((try await exchange("POST", base + "/api/auth/register", json: credentials).body["userID"] as? String)
                .flatMap(UUID.init(uuidString:)))
            let token = try #require(try await exchange("POST", base + "/api/auth/login", json: credentials).body["token"] as? String)
            let erasure = Task { try? await exchange("DELETE", base + "/api/me", json: ["password": credentials["password"]!], bearer: token).status }
            // bcrypt at cost 12 takes about a quarter second before the event is appended: kills spread over it.
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...1200, using: &random)))
            kill(server.processIdentifier, SIGKILL)
            _ = await erasure.value
            #expect(try await ServeCommandTests.waitForExit(server))

            // A port of its own: another test's process could take the first one between the kill and the
            // restart (each test finds free ports the same way).
            let restartPort = try freePort(), output = directory.file("restarted.log")
            let restarted = try ServeCommandTests.start(arguments(restartPort), output: output)
            defer { if restarted.isRunning { restarted.terminate() } }
            let restartedBase = "http://127.0.0.1:\(restartPort)"
            let ready = try await eventually(timeout: .seconds(90)) { await ServeCommandTests.get(restartedBase + "/ready")?.status == 200 }
            #expect(ready, "round \(round): the restarted node (running: \(restarted.isRunning)) said: \((try? String(contentsOfFile: output, encoding: .utf8))?.suffix(2000) ?? "")")
            let keyPath = keys + "/\(user.uuidString).key"
            // The log no longer changes (nobody writes); the start completes an interrupted erasure once its
            // accounts have read the log, which readiness does not wait for.
            let inLog = try Self.events(in: log).contains { $0.event == .userErased(UserErased(userID: user)) }
            let agreed = try await eventually(timeout: .seconds(60)) { inLog != FileManager.default.fileExists(atPath: keyPath) }
            #expect(agreed, "round \(round): erased in the log \(inLog), key present \(FileManager.default.fileExists(atPath: keyPath))")
            restarted.terminate()
            #expect(try await ServeCommandTests.waitForExit(restarted))
            outcomes.append(inLog)
        }
        print("erasures killed: \(outcomes.filter { $0 }.count) of \(outcomes.count) had reached the log")
    }

    /// The state a crash between the two steps leaves (the event durable, the key not yet destroyed): the
    /// next start destroys the key.
    @Test func aStartCompletesAnErasureACrashInterrupted() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (log, keys) = (directory.file("log"), directory.file("keys"))
        let vault = try KeyStore(directory: keys)
        let user = UUID()
        let sealed = try vault.seal(try PersonalData(username: "interrupted", passwordHash: "$2b$04$" + String(repeating: "a", count: 53)), for: user)
        let at = Timestamp.now
        try await writeClosedLog(
            sampleLogEvents(seed: 40, films: 30, sets: 12, voters: 2, votes: 30).events + [
                EventEnvelope(occurredAt: at, event: .userRegistered(UserRegistered(userID: user, personal: .sealed(sealed)))),
                EventEnvelope(occurredAt: at, event: .userErased(UserErased(userID: user))),
            ], to: log)
        #expect(FileManager.default.fileExists(atPath: keys + "/\(user.uuidString).key"))
        let port = try freePort()
        let server = try ServeCommandTests.start(["serve", "--data", log, "--port", "\(port)", "--key-store", keys])
        defer { if server.isRunning { server.terminate() } }
        #expect(try await eventually(timeout: .seconds(90)) { !FileManager.default.fileExists(atPath: keys + "/\(user.uuidString).key") })
        server.terminate()
        #expect(try await ServeCommandTests.waitForExit(server))
    }
}
