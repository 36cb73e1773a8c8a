import Foundation
import Hummingbird
import HummingbirdBcrypt
import MovieMashCore
import NIOPosix
import Projections

/// What the write side of the gateway needs: where events go, and who signs tokens and tickets.
public struct WriteSide: Sendable {
    public var appender: any EventAppender
    public var authority: TokenAuthority
    /// bcrypt's cost (log₂ rounds): 12 in service; tests may lower it (minimum 4).
    public var bcryptCost: UInt8
    let desk = VotingDesk()
    /// What a login for a name nobody has checks its password against.
    let unknownUserHash: String

    public init(appender: any EventAppender, authority: TokenAuthority, bcryptCost: UInt8 = 12) {
        self.appender = appender
        self.authority = authority
        self.bcryptCost = max(4, min(bcryptCost, 31))
        unknownUserHash = Bcrypt.hash(UUID.random().uuidString, cost: self.bcryptCost)
    }

    // bcrypt runs on NIO's blocking pool: at cost 12 a hash takes about a quarter of a second, and Swift's
    // cooperative pool has a thread per core, so a few logins there would hold up every other request.
    func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { [bcryptCost] in Bcrypt.hash(password, cost: bcryptCost) }
    }

    /// Whether `password` matches `hash`; bcrypt reads no more than 72 bytes, so a longer password never does.
    func verify(_ password: String, hash: String) async throws -> Bool {
        guard password.utf8.count <= 72 else { return false }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

struct Credentials: Codable, Sendable {
    var username: String
    var password: String
}

struct RegisteredBody: Codable, Sendable, JSONBody {
    var userID: String
    var username: String

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("userID"); json.string(userID)
        json.key("username"); json.string(username)
        json.endObject()
    }
}

struct TokenBody: Codable, Sendable, JSONBody {
    var token: String
    var expiresAt: String

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("token"); json.string(token)
        json.key("expiresAt"); json.string(expiresAt)
        json.endObject()
    }
}

struct ComparisonBody: Codable, Sendable, JSONBody {
    var ticket: String
    var expiresAt: String
    var setA: SetBody
    var setB: SetBody

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("ticket"); json.string(ticket)
        json.key("expiresAt"); json.string(expiresAt)
        json.key("setA"); setA.write(to: &json)
        json.key("setB"); setB.write(to: &json)
        json.endObject()
    }
}

struct VoteRequest: Codable, Sendable {
    var ticket: String
    var winner: VoteCast.Side
}

struct RecommendationBody: Codable, Sendable, JSONBody {
    var film: FilmBody
    var score: Float?
    var reason: Recommendation.Reason

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("film"); film.write(to: &json)
        if let score, score.isFinite { json.key("score"); json.number(Double(score)) }
        json.key("reason"); json.string(reason.rawValue)
        json.endObject()
    }
}

struct RecommendationsBody: Codable, Sendable, JSONBody {
    var items: [RecommendationBody]

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("items"); json.array(items)
        json.endObject()
    }
}

struct VoteBody: Codable, Sendable, JSONBody {
    var voteID: UUID
    var position: UInt64

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("voteID"); json.uuid(voteID)
        json.key("position"); json.integer(position)
        json.endObject()
    }
}

extension GatewayApplication {
    static func addWriteRoutes(to router: Router<GatewayContext>, readModel: ReadModel, writes: WriteSide, configuration: Configuration) {
        let limit = configuration.maximumBodyBytes
        let perVoter = RateLimiter(configuration.perVoter)
        let selectors = SelectorCache()
        /// The voter a bearer token names, within their rate limit.
        @Sendable func voter(_ request: Request) async throws -> (id: UserID, name: String) {
            let voter = try await writes.authority.user(fromBearer: request.headers[.authorization])
            if let wait = perVoter.take(voter.id.rateLimitKey) { throw Problem.tooManyRequests(wait, who: "this voter") }
            return voter
        }
        router.post("/api/auth/register") { request, _ -> Created<RegisteredBody> in
            let credentials = try await decode(Credentials.self, from: request, limit: limit)
            guard credentials.password.unicodeScalars.count >= 8, credentials.password.utf8.count <= 72 else {
                throw Problem(.badRequest, type: "invalid-registration", title: "Invalid registration",
                              detail: "the password must be at least 8 characters and at most 72 bytes of UTF-8 (bcrypt reads no further)")
            }
            let placeholder = "$2b$04$" + String(repeating: "a", count: 53)
            do { _ = try UserRegistered(userID: UUID.random(), username: credentials.username, passwordHash: placeholder) } catch {
                throw Problem(.badRequest, type: "invalid-registration", title: "Invalid registration", detail: "\(error)")
            }
            guard writes.desk.reserve(credentials.username, accounts: readModel.accounts()) else {
                throw Problem(.conflict, type: "username-taken", title: "Username taken", detail: "'\(credentials.username)' is already registered")
            }
            let user: UserRegistered
            do {
                let hash = try await writes.hash(credentials.password)
                user = try UserRegistered(userID: UUID.random(), username: credentials.username, passwordHash: hash)
                _ = try await writes.appender.append(EventEnvelope(occurredAt: .now, event: .userRegistered(user)))
            } catch {
                writes.desk.finishRegistration(credentials.username, account: nil)
                throw error
            }
            writes.desk.finishRegistration(
                credentials.username, account: Accounts.Account(userID: user.userID, username: user.username, passwordHash: user.passwordHash))
            return Created(body: RegisteredBody(userID: user.userID.uuidString, username: user.username))
        }
        router.post("/api/auth/login") { request, _ -> TokenBody in
            let credentials = try await decode(Credentials.self, from: request, limit: limit)
            let account: Accounts.Account?
            if let recent = writes.desk.recentlyRegistered(credentials.username) {
                account = recent
            } else {
                account = readModel.accounts().account(named: credentials.username)
            }
            // An unknown name costs a hash too, so response times do not tell which names exist.
            let verified = try await writes.verify(credentials.password, hash: account?.passwordHash ?? writes.unknownUserHash)
            guard let account, verified else {
                throw Problem(.unauthorized, type: "invalid-credentials", title: "Invalid credentials", detail: "unknown username or wrong password")
            }
            let (token, expires) = try await writes.authority.accessToken(for: account.userID, name: account.username)
            return TokenBody(token: token, expiresAt: Timestamp(expires).description)
        }
        router.get("/api/comparisons/next") { request, _ -> ComparisonBody in
            let voter = try await voter(request)
            let catalogue = readModel.catalogue(), tallies = readModel.tallies(), elo = readModel.elo(), standings = readModel.standings()
            let selector = selectors.selector(readModel: readModel, catalogue: catalogue)
            let excluded = readModel.recentPairs().pairs(of: voter.id) + writes.desk.shownPairs(to: voter.id)
            var random = SystemRandomNumberGenerator()
            guard let pair = selector.next(excluding: excluded, using: &random),
                  let a = catalogue.sets[pair.0], let b = catalogue.sets[pair.1] else {
                throw Problem(.serviceUnavailable, type: "no-comparisons", title: "Nothing to compare",
                              detail: "there are no two sets this voter has not just seen")
            }
            let (ticket, expires) = writes.authority.ticket(id: UUID.random(), voter: voter.id, pair: (a.setID, b.setID))
            writes.desk.noteShown(PairKey(a.setID, b.setID), to: voter.id)
            return ComparisonBody(
                ticket: ticket, expiresAt: Timestamp(expires).description,
                setA: SetBody(a, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings),
                setB: SetBody(b, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings))
        }
        router.get("/api/recommendations") { request, _ -> RecommendationsBody in
            let voter = try await writes.authority.user(fromBearer: request.headers[.authorization])
            let limit = try paging(request).limit
            let catalogue = readModel.catalogue()
            let items = readModel.recommendations(voter.id, limit).map {
                RecommendationBody(film: FilmBody($0.film, catalogue: catalogue, elo: nil, standings: nil), score: $0.score, reason: $0.reason)
            }
            return RecommendationsBody(items: items)
        }
        router.post("/api/votes") { request, _ -> Created<VoteBody> in
            let voter = try await voter(request)
            let given = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
            if let given, !(1...200).contains(given.unicodeScalars.count) {
                throw Problem(.badRequest, type: "invalid-idempotency-key", title: "Invalid Idempotency-Key",
                              detail: "an Idempotency-Key must be 1 to 200 characters")
            }
            let key = given.map { "\(voter.id)|\($0)" }
            if let key, let earlier = writes.desk.answer(for: key) { return Created(body: earlier) }
            let vote = try await decode(VoteRequest.self, from: request, limit: limit)
            let ticket = try writes.authority.redeem(vote.ticket, by: voter.id)
            let event = try VoteCast(
                voteID: UUID.random(), userID: voter.id, setA: ticket.a, setB: ticket.b, winner: vote.winner, ticketID: ticket.id, castAt: .now)
            // The event id is the ticket id: the log keeps a ticket to one vote, racing requests and restarts
            // included.
            guard let position = try await writes.appender.appendNew(EventEnvelope(eventID: ticket.id, occurredAt: .now, event: .voteCast(event)))
            else { throw Problem(.conflict, type: "ticket-used", title: "Ticket already used", detail: "each ticket allows one vote") }
            let answer = VoteBody(voteID: event.voteID, position: position)
            configuration.metrics.votes.increment()
            if let key { writes.desk.remember(answer, for: key) }
            return Created(body: answer)
        }
    }

    /// Shared by every request: making a decoder per request cost half as much as decoding a vote with it.
    private static let jsonDecoder = JSONDecoder()

    /// Reads at most `limit` bytes of JSON body as `T`, with 413 and 400 problems for the rest.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        do {
            return try jsonDecoder.decode(T.self, from: Data(buffer: body))
        } catch {
            throw Problem(.badRequest, type: "malformed-json", title: "Malformed JSON", detail: "the body is not the expected JSON: \(error)")
        }
    }
}
