import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import JWTKit
import KeyVault
import MovieMashCore
import Projections
import Synchronization
import Testing
import TestSupport

let testKeys = try! SigningKeys(parsing: "k2:second-secret-with-at-least-32-bytes!!,k1:first-secret-with-at-least-32-bytes!!!")

/// The key store of the tests that do not look at keys: one folder, emptied when the test process first
/// uses it, so runs leave no folder behind per test.
let sharedTestVault: KeyStore = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moviemash-gateway-test-keys").path
    try? FileManager.default.removeItem(atPath: directory)
    return try! KeyStore(directory: directory)
}()

func writeApp(
    ticketLifetime: Duration = .seconds(600), perAddress: RateLimiter.Limit = .init(perSecond: 1000, burst: 1000),
    perVoter: RateLimiter.Limit = .init(perSecond: 1000, burst: 1000), bcryptCost: UInt8 = 4,
    confirm: @escaping @Sendable (UInt64) async throws -> Void = { _ in },
    vault: KeyStore = sharedTestVault, trustedProxies: Set<String> = [], firstSignInDelay: Duration = .seconds(1),
    now: @escaping @Sendable () -> Date = { Date() }
) async -> (some ApplicationProtocol, MemoryAppender) {
    let (model, _) = await sampleReadModel()
    let appender = MemoryAppender(confirmation: confirm)
    var configuration = GatewayApplication.Configuration()
    configuration.maximumBodyBytes = 4096
    configuration.perAddress = perAddress
    configuration.perVoter = perVoter
    configuration.trustedProxies = trustedProxies
    let authentication = Authentication(
        authority: await TokenAuthority(keys: testKeys, ticketLifetime: ticketLifetime, now: now), bcryptCost: bcryptCost, firstDelay: firstSignInDelay)
    let writes = WriteSide(appender: appender, authentication: authentication, vault: vault)
    return (Application(router: GatewayApplication.router(readModel: model, writes: writes, configuration: configuration)), appender)
}

func json(_ value: some Encodable) -> ByteBuffer { ByteBuffer(bytes: try! JSONEncoder().encode(value)) }

/// The header every JSON body carries (the gateway answers 415 without it).
let jsonType: HTTPFields = [.contentType: "application/json"]

extension TestClientProtocol {
    /// Registers and logs in `name`; returns the bearer header value.
    func login(_ name: String, password: String = "correct horse battery") async throws -> String {
        try await execute(uri: "/api/auth/register", method: .post, headers: jsonType, body: json(Credentials(username: name, password: password))) { response in
            #expect(response.status == .created)
        }
        return try await execute(uri: "/api/auth/login", method: .post, headers: jsonType, body: json(Credentials(username: name, password: password))) { response in
            #expect(response.status == .ok)
            return "Bearer " + (try JSONDecoder().decode(TokenBody.self, from: Data(buffer: response.body))).token
        }
    }

    func nextTicket(_ bearer: String) async throws -> ComparisonBody {
        try await execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: bearer]) { response in
            #expect(response.status == .ok)
            return try JSONDecoder().decode(ComparisonBody.self, from: Data(buffer: response.body))
        }
    }

    func vote(_ bearer: String, ticket: String, key: String? = nil) async throws -> (HTTPResponse.Status, ByteBuffer) {
        var headers: HTTPFields = [.authorization: bearer, .contentType: "application/json"]
        if let key { headers[HTTPFields.Element.Name("Idempotency-Key")!] = key }
        return try await execute(uri: "/api/votes", method: .post, headers: headers, body: json(VoteRequest(ticket: ticket, winner: .setB))) {
            ($0.status, $0.body)
        }
    }
}

@Suite struct WriteRouteTests {
    /// An account made before NULs were refused (its hash is bcrypt's of the part before the NUL) cannot be
    /// entered with that short prefix, and a NUL-padded guess is refused without a bcrypt round.
    @Test func passwordsBcryptCannotRepresentNeverMatch() async throws {
        let authentication = Authentication(authority: await TokenAuthority(keys: testKeys), bcryptCost: 4)
        let oldHash = Bcrypt.hash("S", cost: 4)
        #expect(try await !authentication.verify("S", hash: oldHash, for: 1))
        #expect(try await !authentication.verify("S\u{0}ecret horse battery", hash: oldHash, for: 1))
        #expect(try await !authentication.verify(String(repeating: "\u{0}", count: 8), hash: Bcrypt.hash("", cost: 4), for: 1))
        #expect(try await authentication.verify("correct horse battery", hash: Bcrypt.hash("correct horse battery", cost: 4), for: 1))
        #expect(Authentication.unusable("S\u{0}ecret horse battery")?.contains("NUL") == true)
    }

    @Test func bodiesMustBeDeclaredJSONAndTheirMistakesAreSaidInPlainWords() async throws {
        let (app, appender) = await writeApp()
        try await app.test(.router) { client in
            let body = json(Credentials(username: "form", password: "correct horse battery"))
            // What another site's form or script can send without asking first: refused before anything is read.
            for headers: HTTPFields in [[:], [.contentType: "text/plain"], [.contentType: "application/x-www-form-urlencoded"]] {
                try await client.execute(uri: "/api/auth/register", method: .post, headers: headers, body: body) { response in
                    let refusal = try problem(response.body)
                    #expect(response.status == .unsupportedMediaType && refusal.type.hasSuffix("/unsupported-media-type"), "\(refusal)")
                }
            }
            #expect(appender.all.isEmpty, "nothing registered")
            try await client.execute(uri: "/api/auth/register", method: .post, headers: [.contentType: "application/json; charset=utf-8"], body: body) { response in
                #expect(response.status == .created)
            }
            for (text, said) in [
                ("[]", "the body must be an object"),
                ("{\"username\": 5, \"password\": \"correct horse battery\"}", "'username' must be text"),
                ("{\"username\": \"grace\"}", "'password' is missing"),
                ("{\"username\": null, \"password\": \"correct horse battery\"}", "'username' must be text, not null"),
                ("not json", "the body is not JSON"),
            ] {
                try await client.execute(uri: "/api/auth/register", method: .post, headers: jsonType, body: ByteBuffer(string: text)) { response in
                    let refusal = try problem(response.body)
                    #expect(response.status == .badRequest && refusal.detail == said, "\(text): \(refusal.detail)")
                }
            }
            // A token and whatever it opens stay out of caches.
            try await client.execute(uri: "/api/auth/login", method: .post, headers: jsonType, body: body) { response in
                #expect(response.status == .ok && response.headers[.cacheControl] == "no-store")
            }
            let bearer = try await client.login("ada")
            try await client.execute(uri: "/api/me", method: .get, headers: [.authorization: bearer]) { response in
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/api/recommendations", method: .get, headers: [.authorization: bearer]) { response in
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func aWriteNotYetReplicatedIsNotAcknowledgedAndItsRetryGetsTheSameAnswerOnceItIs() async throws {
        // Replication confirms positions up to the one this test lets through.
        let confirmedBelow = Atomic<UInt64>(0)
        let (app, appender) = await writeApp { position in
            guard position < confirmedBelow.load(ordering: .relaxed) else { throw ReplicationPending(position: position) }
        }
        try await app.test(.router) { client in
            confirmedBelow.store(1, ordering: .relaxed)
            let ada = try await client.login("ada")
            let ticket = try await client.nextTicket(ada).ticket
            let (status, body) = try await client.vote(ada, ticket: ticket, key: "k-1")
            #expect(status == .serviceUnavailable)
            let refusal = try problem(body)
            #expect(refusal.type.hasSuffix("/replication-pending"), "\(refusal)")
            #expect(appender.all.count == 2, "the vote is in the log, only not acknowledged")
            let (stillPending, _) = try await client.vote(ada, ticket: ticket, key: "k-1")
            #expect(stillPending == .serviceUnavailable)
            confirmedBelow.store(2, ordering: .relaxed)
            let (retried, answer) = try await client.vote(ada, ticket: ticket, key: "k-1")
            #expect(retried == .created)
            let vote = try JSONDecoder().decode(VoteBody.self, from: Data(buffer: answer))
            #expect(vote.position == 1 && appender.all.count == 2, "the same event, stored once")
            guard case .voteCast(let cast) = appender.all[1].event else { Issue.record("no vote at 1"); return }
            #expect(cast.voteID == vote.voteID)
        }
    }

    @Test func storageThatCannotWriteAnswers503WithRetryAfterAndStoresNothing() async throws {
        let (app, appender) = await writeApp()
        try await app.test(.router) { client in
            let ada = try await client.login("ada")
            let ticket = try await client.nextTicket(ada).ticket
            appender.unavailable.store(true, ordering: .relaxed)
            try await client.execute(
                uri: "/api/votes", method: .post, headers: [.authorization: ada, .contentType: "application/json"], body: json(VoteRequest(ticket: ticket, winner: .setA))
            ) { response in
                #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "2")
                let body = try problem(response.body)
                #expect(body.type.hasSuffix("/storage-unavailable") && body.detail.contains("nothing of this request was stored"))
            }
            try await client.execute(
                uri: "/api/auth/register", method: .post, headers: jsonType, body: json(Credentials(username: "bob", password: "correct horse battery"))
            ) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try problem(response.body)
                #expect(body.type.hasSuffix("/storage-unavailable"))
            }
            appender.unavailable.store(false, ordering: .relaxed)
            let (status, _) = try await client.vote(ada, ticket: ticket)
            #expect(status == .created, "the refused vote stored nothing: its ticket still buys the vote")
            _ = try await client.login("bob")
        }
        #expect(appender.all.filter { if case .voteCast = $0.event { true } else { false } }.count == 1)
    }

    @Test func registrationRefusesBadNamesPasswordsBodiesAndDuplicates() async throws {
        let keys = TemporaryDirectory()
        defer { keys.remove() }
        let vault = try KeyStore(directory: keys.file("keys"))
        let (app, appender) = await writeApp(vault: vault)
        try await app.test(.router) { client in
            _ = try await client.login("ada")
            for (body, status, type) in [
                (json(Credentials(username: "ADA", password: "another password")), HTTPResponse.Status.conflict, "username-taken"),
                (json(Credentials(username: "x'; DROP TABLE users;--", password: "long enough")), .badRequest, "invalid-registration"),
                (json(Credentials(username: "bell\u{07}char", password: "long enough")), .badRequest, "invalid-registration"),
                (json(Credentials(username: String(repeating: "a", count: 10_000), password: "long enough")), .contentTooLarge, "body-too-large"),
                (json(Credentials(username: "grace", password: "short")), .badRequest, "invalid-registration"),
                (json(Credentials(username: "grace", password: String(repeating: "p", count: 73))), .badRequest, "invalid-registration"),
                (json(Credentials(username: "grace", password: "ñññññññ")), .badRequest, "invalid-registration"),
                (json(Credentials(username: "grace", password: String(repeating: "é", count: 37))), .badRequest, "invalid-registration"),
                // bcrypt stops at a NUL: eight NULs would be the empty password, "S\0ecret…" would be "S".
                (json(Credentials(username: "grace", password: String(repeating: "\u{0}", count: 8))), .badRequest, "invalid-registration"),
                (json(Credentials(username: "grace", password: "S\u{0}ecret horse battery")), .badRequest, "invalid-registration"),
                (ByteBuffer(string: "{\"username\": \"grace\""), .badRequest, "malformed-json"),
            ] {
                try await client.execute(uri: "/api/auth/register", method: .post, headers: jsonType, body: body) { response in
                    #expect(response.status == status)
                    let problem = try problem(response.body)
                    #expect(problem.type.hasSuffix("/" + type), "\(problem)")
                }
            }
            for credentials in [Credentials(username: "ada", password: "wrong password"), Credentials(username: "nobody", password: "whatever it is")] {
                try await client.execute(uri: "/api/auth/login", method: .post, headers: jsonType, body: json(credentials)) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
        let registered = appender.all.compactMap { if case .userRegistered(let user) = $0.event { user } else { nil } }
        let opened = registered.map { $0.personal.open(for: $0.userID, with: vault) }
        #expect(opened.map { $0?.username } == ["ada"] && opened[0]?.passwordHash.hasPrefix("$2b$04$") == true)
        #expect(registered.allSatisfy { if case .sealed = $0.personal { true } else { false } }, "the gateway seals every registration")
        #expect(!appender.all.contains { String(decoding: EventCodec.json($0), as: UTF8.self).contains("ada") }, "no event shows the name")
    }

    @Test func forgedExpiredAndForeignTokensAreRefused() async throws {
        let (app, _) = await writeApp()
        let otherKeys = try SigningKeys(parsing: "k2:an-entirely-different-secret-of-32-bytes")
        let forger = await TokenAuthority(keys: otherKeys)
        let expired = await TokenAuthority(keys: testKeys, accessLifetime: .seconds(-10))
        try await app.test(.router) { client in
            let bearer = try await client.login("ada")
            let userID = UUID()
            let forged = try await forger.accessToken(for: userID, name: "ada").token
            let stale = try await expired.accessToken(for: userID, name: "ada").token
            let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString()
            let payload = Data(#"{"sub":"\#(userID.uuidString)","name":"ada","typ":"access","exp":4102444800,"iat":0}"#.utf8).base64URLEncodedString()
            for token in ["Bearer " + forged, "Bearer " + stale, "Bearer \(header).\(payload).", "Bearer not.a.jwt", "Basic YWRhOnB3", ""] {
                try await client.execute(uri: "/api/comparisons/next", method: .get, headers: token.isEmpty ? [:] : [.authorization: token]) { response in
                    #expect(response.status == .unauthorized, "\(token.prefix(30))")
                }
            }
            // A ticket is not an access token, and an access token is not a ticket.
            let ticket = try await client.nextTicket(bearer).ticket
            try await client.execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: "Bearer " + ticket]) {
                #expect($0.status == .unauthorized)
            }
            let (status, _) = try await client.vote(bearer, ticket: String(bearer.dropFirst(7)))
            #expect(status == .badRequest)

            // Tickets signed with another key, altered, naming an unknown key, or not tickets at all.
            let genuine = try await client.nextTicket(bearer)
            let pair = try (SetID(hex: genuine.setA.id), SetID(hex: genuine.setB.id))
            let parts = genuine.ticket.split(separator: ".").map(String.init)
            var altered = Array(parts[2])
            altered[5] = altered[5] == "A" ? "B" : "A"
            let refused = [
                forger.ticket(id: UUID(), voter: UUID(), pair: pair).token,
                [parts[0], parts[1], String(altered), parts[3]].joined(separator: "."),
                [parts[0], "k9", parts[2], parts[3]].joined(separator: "."),
                [parts[0], parts[1], parts[2]].joined(separator: "."),
                "", "t1....",
            ]
            for ticket in refused {
                let (status, body) = try await client.vote(bearer, ticket: ticket)
                #expect(try status == .badRequest && problem(body).type.hasSuffix("/invalid-ticket"), "\(ticket)")
            }
            let (accepted, _) = try await client.vote(bearer, ticket: genuine.ticket)
            #expect(accepted == .created)
        }
    }

    @Test func aTicketBuysOneVoteAndRetriesGetTheFirstAnswer() async throws {
        let (app, appender) = await writeApp()
        try await app.test(.router) { client in
            let ada = try await client.login("ada"), bob = try await client.login("bob")
            let comparison = try await client.nextTicket(ada)
            #expect(comparison.setA.id != comparison.setB.id && comparison.setA.films.count == 4)
            let (longKey, longKeyBody) = try await client.vote(ada, ticket: comparison.ticket, key: String(repeating: "k", count: 201))
            #expect(try longKey == .badRequest && problem(longKeyBody).type.hasSuffix("/invalid-idempotency-key"))

            let (status, body) = try await client.vote(ada, ticket: comparison.ticket, key: "retry-1")
            #expect(status == .created)
            let first = try JSONDecoder().decode(VoteBody.self, from: Data(buffer: body))
            let (again, againBody) = try await client.vote(ada, ticket: comparison.ticket, key: "retry-1")
            let repeated = try JSONDecoder().decode(VoteBody.self, from: Data(buffer: againBody))
            #expect(again == .created && repeated.voteID == first.voteID && repeated.position == first.position)
            let (reused, reusedBody) = try await client.vote(ada, ticket: comparison.ticket, key: "retry-2")
            let reusedProblem = try problem(reusedBody)
            #expect(reused == .conflict && reusedProblem.type.hasSuffix("/ticket-used"))
            let adasTicket = try await client.nextTicket(ada).ticket
            let (foreign, foreignBody) = try await client.vote(bob, ticket: adasTicket)
            let foreignProblem = try problem(foreignBody)
            #expect(foreign == .forbidden && foreignProblem.type.hasSuffix("/foreign-ticket"))

            // Twenty concurrent votes with one ticket: exactly one is counted.
            let ticket = try await client.nextTicket(bob).ticket
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await client.vote(bob, ticket: ticket).0 } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1 && statuses.filter { $0 == .conflict }.count == 19)
        }
        let votes = appender.all.compactMap { if case .voteCast(let vote) = $0.event { vote } else { nil } }
        #expect(votes.count == 2 && votes.allSatisfy { $0.winner == .setB })
        #expect(Set(votes.map(\.ticketID)).count == 2)
    }

    @Test func perVoterAndPerAddressLimitsHoldUnderConcurrentRequests() async throws {
        let (app, _) = await writeApp(perVoter: .init(perSecond: 0.001, burst: 10))
        try await app.test(.router) { client in
            let ada = try await client.login("ada")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<25 {
                    group.addTask { try await client.execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: ada]) { $0.status } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 10 && statuses.filter { $0 == .tooManyRequests }.count == 15)
            try await client.execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: ada]) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                let refusal = try problem(response.body)
                #expect(refusal.type.hasSuffix("/rate-limited"))
            }
            let bob = try await client.login("bob")
            try await client.execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: bob]) { #expect($0.status == .ok) }
        }
        let (limited, _) = await writeApp(perAddress: .init(perSecond: 0.001, burst: 12))
        try await limited.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<30 { group.addTask { try await client.execute(uri: "/health", method: .get) { $0.status } } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 12 && statuses.filter { $0 == .tooManyRequests }.count == 18)
        }
    }

    /// The routes a node with a write side serves, as its router lists them.
    func servedRoutes() async -> [(method: HTTPRequest.Method, path: String)] {
        let (model, _) = await sampleReadModel()
        let writes = WriteSide(appender: MemoryAppender(), authority: await TokenAuthority(keys: testKeys), vault: sharedTestVault, bcryptCost: 4)
        return GatewayApplication.router(readModel: model, writes: writes).routes.map { ($0.method, $0.path.description) }
    }

    @Test func everyRouteAnswersItsMethodsAndRefusesOthersWith405() async throws {
        let (app, _) = await writeApp()
        let routes = await servedRoutes()
        #expect(routes.count > 20)
        try await app.test(.router) { client in
            for route in routes {
                let path = route.path.replacing(/\{[^}]+\}/, with: "x")
                try await client.execute(uri: path, method: route.method) { response in
                    // A route may find no such resource, but a path no route takes is `not-found`.
                    let type = response.status == .notFound ? try? problem(response.body).type : nil
                    #expect(type?.hasSuffix("/not-found") != true, "\(route.method) \(path)")
                    #expect(response.status != .methodNotAllowed, "\(route.method) \(path)")
                }
                let served = routes.filter { $0.path == route.path }.map(\.method)
                let other = try #require([HTTPRequest.Method.get, .delete, .patch].first { !served.contains($0) })
                try await client.execute(uri: path, method: other) { response in
                    #expect(response.status == .methodNotAllowed, "\(other) \(path)")
                    #expect(response.headers[.allow] == served.map(\.rawValue).joined(separator: ", "))
                }
            }
        }
    }

    @Test func theOpenAPIContractDescribesExactlyTheRoutesServed() async throws {
        let spec = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/openapi.yaml"), encoding: .utf8)
        var described: Set<String> = [], path: String?
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if !line.hasPrefix("  ") {
                path = nil
            } else if let path, let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                described.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = Set(await servedRoutes().map { "\($0.method.rawValue) \($0.path)" })
        #expect(described == served, "described only: \(described.subtracting(served)); served only: \(served.subtracting(described))")
    }

    /// The problem types the contract lists are the ones the gateway and server code can send.
    @Test func theContractNamesEveryProblemTypeTheCodeSends() throws {
        let spec = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/openapi.yaml"), encoding: .utf8)
        let listed = try #require(spec.firstMatch(of: /x-problem-types: \[([^\]]*)\]/)).output.1
        let contract = Set(listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        var sent: Set<String> = []
        for folder in ["Sources/Gateway", "Sources/MovieMashServer"] {
            let root = repositoryRoot.appendingPathComponent(folder)
            for case let file as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)! where file.pathExtension == "swift" {
                let source = try String(contentsOf: file, encoding: .utf8)
                for match in source.matches(of: /Problem\([^)]*?type: "([a-z0-9-]+)"/.dotMatchesNewlines()) { sent.insert(String(match.output.1)) }
                for match in source.matches(of: /answer\(context, status: [^,]+, type: "([a-z0-9-]+)"/) { sent.insert(String(match.output.1)) }
            }
        }
        #expect(sent.count > 40)
        #expect(contract == sent, "listed only: \(contract.subtracting(sent)); sent only: \(sent.subtracting(contract))")
    }

    /// `/openapi.yaml` is the repository's contract, and each 201 says where its resource is read.
    @Test func theNodeServesItsContractAndCreatedAnswersCarryLocation() async throws {
        let (app, _) = await writeApp()
        try await app.test(.router) { client in
            let spec = try String(contentsOf: repositoryRoot.appendingPathComponent("Schemas/openapi.yaml"), encoding: .utf8)
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                #expect(String(buffer: response.body) == spec)
            }
            try await client.execute(uri: "/api/auth/register", method: .post, headers: jsonType,
                                     body: json(Credentials(username: "located", password: "correct horse battery"))) { response in
                #expect(response.status == .created && response.headers[.location] == "/api/me")
            }
            let bearer = try await client.execute(uri: "/api/auth/login", method: .post, headers: jsonType,
                                                  body: json(Credentials(username: "located", password: "correct horse battery"))) { response in
                "Bearer " + (try JSONDecoder().decode(TokenBody.self, from: Data(buffer: response.body))).token
            }
            let ticket = try await client.nextTicket(bearer)
            let location = try await client.execute(uri: "/api/votes", method: .post, headers: [.authorization: bearer, .contentType: "application/json"],
                                                    body: json(VoteRequest(ticket: ticket.ticket, winner: .setA))) { response in
                #expect(response.status == .created)
                return try #require(response.headers[.location])
            }
            #expect(location.hasPrefix("/api/me/votes/"), "read back on a real node in ErasureTests")
        }
    }

    /// The gateway's clock, moved by hand, stamps the vote it takes and expires the ticket that outlives
    /// its ten minutes: no waiting.
    @Test func votesAreStampedAndTicketsExpireByTheGatewaysClock() async throws {
        let clock = ManualClock(), start = Date(timeIntervalSince1970: 1_800_000_000)
        let (app, appender) = await writeApp(now: { start.addingTimeInterval(clock.now.offset / .seconds(1)) })
        try await app.test(.router) { client in
            let ada = try await client.login("ada")
            let kept = try await client.nextTicket(ada).ticket, lapsed = try await client.nextTicket(ada).ticket
            clock.advance(by: .milliseconds(599_999))
            #expect(try await client.vote(ada, ticket: kept).0 == .created, "a millisecond left")
            guard case .voteCast(let vote) = appender.all.last?.event else {
                Issue.record("no vote appended")
                return
            }
            #expect(vote.castAt == Timestamp(start.addingTimeInterval(599.999)) && appender.all.last?.occurredAt == vote.castAt)
            clock.advance(by: .milliseconds(1))
            let (status, body) = try await client.vote(ada, ticket: lapsed)
            let refusal = try problem(body)
            #expect(status == .badRequest && refusal.type.hasSuffix("/invalid-ticket"))
        }
    }

    /// A bcrypt hash at a real cost takes a good part of a second; on Swift's cooperative pool (a thread
    /// per core) a few logins at once would stall every other request until they were done.
    @Test func loginsInProgressDoNotHoldUpOtherRequests() async throws {
        let (app, _) = await writeApp(bcryptCost: 12)
        try await app.test(.router) { client in
            _ = try await client.login("ada")
            let logins = 2 * ProcessInfo.processInfo.activeProcessorCount
            // All from one client (the test client has no address): beyond its share of password checks
            // they are refused at once, which holds nothing up either; /health answers before any check ends.
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<logins {
                    group.addTask {
                        try await client.execute(uri: "/api/auth/login", method: .post, headers: jsonType, body: json(Credentials(username: "ada", password: "correct horse battery"))) { response in
                            #expect(response.status == .ok || response.status == .tooManyRequests)
                            return response.status == .ok ? "signed in" : "refused"
                        }
                    }
                }
                group.addTask {
                    try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
                    return "health"
                }
                var before: [String] = []
                while let next = try await group.next(), next != "health" { before.append(next) }
                #expect(!before.contains("signed in"), "/health waited for a login to finish")
                var after: [String] = []
                for try await next in group { after.append(next) }
                #expect(after.contains("signed in"))
            }
        }
    }
}

extension Data {
    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
