import Foundation
import Hummingbird
import MovieMashCore
import Projections

struct MeBody: Codable, Sendable, JSONBody {
    struct Chosen: Codable, Sendable, JSONBody {
        var setID: String
        var letterboxdUser: String?
        var times: Int

        func write(to json: inout JSONWriter) {
            json.beginObject()
            json.key("letterboxdUser"); if let letterboxdUser { json.string(letterboxdUser) } else { json.null() }
            json.key("setID"); json.string(setID)
            json.key("times"); json.integer(times)
            json.endObject()
        }
    }

    var userID: String
    var username: String
    var memberSince: String
    var votes: Int
    var mostChosen: [Chosen]
    /// The Letterboxd profile this voter claims as theirs: its set is "your four".
    var letterboxdUser: String?

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("letterboxdUser"); if let letterboxdUser { json.string(letterboxdUser) } else { json.null() }
        json.key("memberSince"); json.string(memberSince)
        json.key("mostChosen"); json.array(mostChosen)
        json.key("userID"); json.string(userID)
        json.key("username"); json.string(username)
        json.key("votes"); json.integer(votes)
        json.endObject()
    }
}

struct MyVoteBody: Codable, Sendable, JSONBody {
    var voteID: String
    var setA: String
    var setB: String
    /// The Letterboxd users whose fours the sets are, so a person recognises the pair.
    var ownerA: String?
    var ownerB: String?
    /// Each set's four films, so the pair reads as it was shown.
    var filmsA: [FilmBody]
    var filmsB: [FilmBody]
    var winner: String
    var castAt: String
    var position: UInt64

    init(_ vote: VoterHistory.Vote, catalogue: Catalogue) {
        voteID = vote.voteID.uuidString
        setA = vote.setA.description
        setB = vote.setB.description
        ownerA = catalogue.sets[vote.setA]?.letterboxdUser
        ownerB = catalogue.sets[vote.setB]?.letterboxdUser
        filmsA = (catalogue.sets[vote.setA]?.movieIDs ?? []).map { FilmBody($0, catalogue: catalogue, elo: nil, standings: nil) }
        filmsB = (catalogue.sets[vote.setB]?.movieIDs ?? []).map { FilmBody($0, catalogue: catalogue, elo: nil, standings: nil) }
        winner = vote.winner.rawValue
        castAt = vote.castAt.description
        position = vote.position
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("castAt"); json.string(castAt)
        json.key("filmsA"); json.array(filmsA)
        json.key("filmsB"); json.array(filmsB)
        json.key("ownerA"); if let ownerA { json.string(ownerA) } else { json.null() }
        json.key("ownerB"); if let ownerB { json.string(ownerB) } else { json.null() }
        json.key("position"); json.integer(position)
        json.key("setA"); json.string(setA)
        json.key("setB"); json.string(setB)
        json.key("voteID"); json.string(voteID)
        json.key("winner"); json.string(winner)
        json.endObject()
    }
}

struct MyVotesBody: Codable, Sendable, JSONBody {
    var items: [MyVoteBody]
    var total: Int
    var offset: Int
    var limit: Int

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("items"); json.array(items)
        json.key("limit"); json.integer(limit)
        json.key("offset"); json.integer(offset)
        json.key("total"); json.integer(total)
        json.endObject()
    }
}

/// Everything the service holds about one person, as one document (GDPR Article 20).
struct ExportBody: Codable, Sendable, JSONBody {
    var exportedAt: String
    var account: MeBody
    var votes: [MyVoteBody]
    var recommendations: [RecommendationBody]
    /// What else is held and why it is not in the document.
    var notes: [String]

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("account"); account.write(to: &json)
        json.key("exportedAt"); json.string(exportedAt)
        json.key("notes"); json.beginArray(); for note in notes { json.string(note) }; json.endArray()
        json.key("recommendations"); json.array(recommendations)
        json.key("votes"); json.array(votes)
        json.endObject()
    }
}

struct PasswordChange: Codable, Sendable {
    var currentPassword: String
    var newPassword: String
}

struct PasswordConfirmation: Codable, Sendable {
    var password: String
}

/// A 204 whose `MovieMash-Position` is what a node must reach to reflect the write.
struct Done: ResponseGenerator {
    var position: UInt64

    func response(from request: Request, context: some RequestContext) -> Response {
        var response = Response(status: .noContent)
        response.carryPosition(ofWrite: position)
        return response
    }
}

/// The signed-in voter's own account, on the node that holds the key store (a replica forwards these):
/// `GET /api/me`, `/api/me/votes`, `/api/me/export`, `PUT /api/me/password`, `DELETE /api/me`, and
/// `POST /api/auth/logout`. Each change is an event; its answer waits until this node's accounts apply it,
/// so the token it ends is refused from then on.
enum AccountRoutes {
    /// `perAccount` limits each voter's account changes and exports: every change verifies a password
    /// with bcrypt, so a stolen token can neither guess the password quickly nor load the node.
    static func collection(
        readModel: ReadModel, writes: WriteSide, perAccount: RateLimiter, configuration: GatewayApplication.Configuration
    ) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let authentication = writes.authentication, limit = configuration.maximumBodyBytes

        @Sendable func me(_ voter: SignedInUser) throws(Problem) -> (account: Accounts.Account, data: PersonalData) {
            let accounts = readModel.accounts().state
            guard let account = accounts.byID[voter.id], let data = accounts.personalData(of: voter.id) else {
                throw Problem(.notFound, type: "account-unreadable", title: "Account unreadable",
                              detail: "this node cannot read this account's personal data (it is erased, or its key is not here)")
            }
            return (account, data)
        }
        @Sendable func profile(_ voter: SignedInUser) throws(Problem) -> MeBody {
            let (account, data) = try me(voter)
            let history = readModel.voterHistory(), catalogue = readModel.catalogue()
            return MeBody(
                userID: voter.id.uuidString, username: data.username, memberSince: account.registeredAt.description,
                votes: history.votes(of: voter.id).count,
                mostChosen: history.mostChosen(by: voter.id, limit: 4).map {
                    .init(setID: $0.set.description, letterboxdUser: catalogue.sets[$0.set]?.letterboxdUser, times: $0.times)
                },
                letterboxdUser: readModel.accounts().state.claimedProfile(of: voter.id))
        }
        @Sendable func checkPassword(_ password: String, of voter: SignedInUser, client: UInt128) async throws {
            let (_, data) = try me(voter)
            guard try await authentication.verify(password, hash: data.passwordHash, for: client) else {
                throw Problem(.forbidden, type: "wrong-password", title: "Wrong password", detail: "the password given is not this account's")
            }
        }
        @Sendable func append(_ event: Event) async throws -> UInt64 {
            let position = try await writes.appender.append(EventEnvelope(occurredAt: authentication.authority.timestamp, event: event))
            try await writes.confirm(position)
            try await readModel.consistency.require(position + 1)
            return position
        }

        routes.get("/me") { request, _ -> MeBody in
            try profile(try await authentication.user(request, readModel: readModel))
        }
        routes.get("/me/votes") { request, _ -> MyVotesBody in
            let voter = try await authentication.user(request, readModel: readModel)
            _ = try me(voter)
            let (offset, limit) = try Requests.paging(request)
            let votes = readModel.voterHistory().votes(of: voter.id), catalogue = readModel.catalogue()
            let page = votes.reversed().dropFirst(offset).prefix(limit).map { MyVoteBody($0, catalogue: catalogue) }
            return MyVotesBody(items: Array(page), total: votes.count, offset: offset, limit: limit)
        }
        routes.get("/me/votes/:voteID") { request, context -> MyVoteBody in
            let voter = try await authentication.user(request, readModel: readModel)
            _ = try me(voter)
            guard let id = context.parameters.get("voteID").flatMap(UUID.init(uuidString:)),
                  let vote = readModel.voterHistory().votes(of: voter.id).last(where: { $0.voteID == id })
            else {
                throw Problem(.notFound, type: "vote-not-found", title: "Vote not found",
                              detail: "none of your votes this node reflects has this id (after a vote elsewhere, send MovieMash-Min-Position)")
            }
            return MyVoteBody(vote, catalogue: readModel.catalogue())
        }
        routes.get("/me/export") { request, _ -> Response in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perAccount)
            let account = try profile(voter), catalogue = readModel.catalogue()
            let body = ExportBody(
                exportedAt: authentication.authority.timestamp.description, account: account,
                votes: readModel.voterHistory().votes(of: voter.id).map { MyVoteBody($0, catalogue: catalogue) },
                recommendations: RecommendationBody.picks(for: voter.id, limit: 10, readModel: readModel),
                notes: [
                    "A bcrypt hash of your password is kept, sealed under a key of your own; it is not shown here.",
                    "Your votes are kept as events; after erasure they stay, tied to an id that names no one.",
                ])
            var response = body.response(status: .ok)
            response.headers[.contentDisposition] = "attachment; filename=\"moviemash-\(account.username).json\""
            return response
        }
        routes.put("/me/password") { request, context -> TokenBody in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perAccount)
            let change = try await Requests.decode(PasswordChange.self, from: request, limit: limit)
            try Self.checkNewPassword(change.newPassword)
            try await checkPassword(change.currentPassword, of: voter, client: context.client)
            let (_, data) = try me(voter)
            let renewed = try PersonalData(username: data.username, passwordHash: try await authentication.hash(change.newPassword, for: context.client))
            let sealed = try writes.vault.seal(renewed, for: voter.id)
            let position = try await append(.passwordChanged(PasswordChanged(userID: voter.id, sealed: sealed)))
            writes.registrations.forget(data.username)
            let (token, expires) = try await authentication.authority.accessToken(for: voter.id, name: data.username, position: position + 1)
            return TokenBody(token: token, expiresAt: Timestamp(expires).description)
        }
        routes.post("/auth/logout") { request, _ -> Done in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perAccount)
            guard let tokenID = voter.tokenID else {
                throw Problem(.badRequest, type: "token-without-id", title: "Token without id",
                              detail: "this token was signed before sign-out existed and ends only when it expires or the password changes")
            }
            return Done(position: try await append(.signedOut(SignedOut(userID: voter.id, tokenID: tokenID, expiresAt: Timestamp(voter.expires)))))
        }
        routes.delete("/me") { request, context -> Done in
            let voter = try await authentication.user(request, readModel: readModel, limitedBy: perAccount)
            let confirmation = try await Requests.decode(PasswordConfirmation.self, from: request, limit: limit)
            try await checkPassword(confirmation.password, of: voter, client: context.client)
            let (_, data) = try me(voter)
            let position = try await Erasure.erase(voter.id, appender: writes.appender, vault: writes.vault)
            writes.registrations.forget(data.username)
            authentication.authority.forget(voter.id)
            try await writes.confirm(position)
            try await readModel.consistency.require(position + 1)
            return Done(position: position)
        }
        return routes
    }

    /// The rules every new password meets, at registration and on a change.
    static func checkNewPassword(_ password: String, type: String = "invalid-password", title: String = "Invalid password") throws(Problem) {
        if let reason = Authentication.unusable(password) { throw Problem(.badRequest, type: type, title: title, detail: reason) }
    }
}
