import Foundation
import HTTPTypes
import Hummingbird
import MovieMashCore
import Projections

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

struct VoteRequest: Codable, Sendable, PlainJSONDecodable {
    var ticket: String
    var winner: VoteCast.Side

    init(ticket: String, winner: VoteCast.Side) {
        self.ticket = ticket
        self.winner = winner
    }

    init?(plain object: PlainJSONObject) {
        guard let ticket = object["ticket"], let winner = object["winner"].flatMap(VoteCast.Side.init(rawValue:)) else { return nil }
        self.init(ticket: ticket, winner: winner)
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

/// `GET /api/comparisons/next` and `POST /api/votes`: a ticket for a pair, and a vote that redeems it.
/// Any node with the signing keys issues tickets (a replica too, with its own memory of the pairs it
/// showed); only a node with `writes` takes the votes.
enum VotingRoutes {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    static func collection(
        readModel: ReadModel, authentication: Authentication, writes: WriteSide?, selectors: SelectorCache,
        configuration: GatewayApplication.Configuration
    ) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let limit = configuration.maximumBodyBytes
        let perVoter = RateLimiter(configuration.perVoter)
        let shown = writes?.shown ?? ShownPairs()
        routes.get("/comparisons/next") { request, _ -> ComparisonBody in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perVoter)
            let excluded = readModel.recentPairs().pairs(of: voter.id) + shown.pairs(shownTo: voter.id)
            guard let (a, b, catalogue) = selectors.draw(readModel: readModel, excluding: excluded) else {
                throw Problem(.serviceUnavailable, type: "no-comparisons", title: "Nothing to compare",
                              detail: "there are no two sets this voter has not just seen")
            }
            let (ticket, expires) = authentication.authority.ticket(id: UUID.random(), voter: voter.id, pair: (a.setID, b.setID))
            shown.note(PairKey(a.setID, b.setID), shownTo: voter.id)
            let tallies = readModel.tallies(), elo = readModel.elo(), standings = readModel.standings()
            return ComparisonBody(
                ticket: ticket, expiresAt: Timestamp(expires).description,
                setA: SetBody(a, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings),
                setB: SetBody(b, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings))
        }
        guard let writes else { return routes }
        routes.post("/votes") { request, _ -> Created<VoteBody> in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perVoter)
            let given = request.headers.value(Self.idempotencyKey)
            if let given, !(1...200).contains(given.unicodeScalars.count) {
                throw Problem(.badRequest, type: "invalid-idempotency-key", title: "Invalid Idempotency-Key",
                              detail: "an Idempotency-Key must be 1 to 200 characters")
            }
            let key = given.map { "\(voter.id)|\($0)" }
            if let key, let earlier = writes.answers.answer(for: key) {
                try await writes.confirm(earlier.position)
                return Created(body: earlier, position: earlier.position, location: "/api/me/votes/\(earlier.voteID.uuidString)")
            }
            let vote = try await Requests.decode(VoteRequest.self, from: request, limit: limit)
            let ticket = try authentication.authority.redeem(vote.ticket, by: voter.id)
            let event = try VoteCast(
                voteID: UUID.random(), userID: voter.id, setA: ticket.a, setB: ticket.b, winner: vote.winner, ticketID: ticket.id, castAt: authentication.authority.timestamp)
            // The event id is the ticket id: the log keeps a ticket to one vote, racing requests and restarts
            // included.
            guard let position = try await writes.appender.appendNew(EventEnvelope(eventID: ticket.id, occurredAt: event.castAt, event: .voteCast(event)))
            else { throw Problem(.conflict, type: "ticket-used", title: "Ticket already used", detail: "each ticket allows one vote") }
            let answer = VoteBody(voteID: event.voteID, position: position)
            // Remembered before it is confirmed: a retry with the key then waits for the same event's
            // confirmation instead of meeting its own ticket as used.
            if let key { writes.answers.remember(answer, for: key) }
            try await writes.confirm(position)
            configuration.metrics.votes.increment()
            return Created(body: answer, position: position, location: "/api/me/votes/\(answer.voteID.uuidString)")
        }
        return routes
    }
}
