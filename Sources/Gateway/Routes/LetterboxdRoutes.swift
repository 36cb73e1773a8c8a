import Foundation
import Hummingbird
import MovieMashCore
import Projections

struct LetterboxdRequestBody: Codable, Sendable {
    var username: String
    /// The profile is the voter's own: its set shows as "your four" to them.
    var claim: Bool?
}

/// A Letterboxd profile's state as the API shows it.
struct LetterboxdProfileBody: Codable, Sendable, JSONBody {
    var username: String
    var state: String
    var detail: String
    var place: Int?
    var favourites: Int?
    var fetchedAt: String?
    var pausedUntil: String?
    /// The profile's set, once its four are in the game.
    var setID: String?
    /// In a voter's own answers: whether they claim this profile.
    var claimedByYou: Bool?

    init(username: String, state: LetterboxdProfileState, setID: SetID?, claimedByYou: Bool?) {
        self.username = username
        self.state = state.phase.rawValue
        place = state.place
        favourites = state.favourites
        fetchedAt = state.fetchedAt?.description
        pausedUntil = state.pausedUntil?.description
        self.setID = setID?.description
        self.claimedByYou = claimedByYou
        detail = switch state.phase {
        case .queued: "waiting to be read from Letterboxd: \(max(0, (state.place ?? 1) - 1)) ahead of it"
        case .fetching: "being read from Letterboxd now"
        case .fetched: setID == nil ? "read from Letterboxd" : "read from Letterboxd; its four favourites are in the game"
        case .fewerThanFour: "the profile shows \(state.favourites ?? 0) favourite films; MovieMash needs four"
        case .privateProfile: "the profile is private; MovieMash reads only public profiles"
        case .notFound: "Letterboxd has no member called \(username)"
        case .blocked:
            "Letterboxd asked MovieMash to slow down (a challenge page); reading resumes at \(state.pausedUntil?.description ?? "a later time") and this request keeps its place"
        case .failed: "reading the profile from Letterboxd failed; it is tried again later"
        }
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        if let claimedByYou { json.key("claimedByYou"); json.bool(claimedByYou) }
        json.key("detail"); json.string(detail)
        if let favourites { json.key("favourites"); json.integer(favourites) }
        if let fetchedAt { json.key("fetchedAt"); json.string(fetchedAt) }
        if let pausedUntil { json.key("pausedUntil"); json.string(pausedUntil) }
        if let place { json.key("place"); json.integer(place) }
        if let setID { json.key("setID"); json.string(setID) }
        json.key("state"); json.string(state)
        json.key("username"); json.string(username)
        json.endObject()
    }
}

/// `body` with `status`, and `MovieMash-Position` when the request appended an event.
private struct Answer: ResponseGenerator {
    var body: LetterboxdProfileBody
    var status: HTTPResponse.Status
    var position: UInt64?

    func response(from request: Request, context: some RequestContext) -> Response {
        var response = body.response(status: status)
        if let position { response.carryPosition(ofWrite: position) }
        return response
    }
}

/// `POST /api/letterboxd-users` (signed in): queue a Letterboxd profile to be read, and optionally claim
/// it as the voter's own; `GET /api/letterboxd-users/{username}`: its state. On the writer only, which runs
/// the scrape service and holds the keys that open claims (a replica forwards both).
enum LetterboxdRoutes {
    /// `perAccount` is the account routes' limiter: a claim is an account change (each one that changes
    /// appends an event), so nobody can fill the log by switching between names that need no fetch.
    static func collection(
        readModel: ReadModel, writes: WriteSide, perAccount: RateLimiter, configuration: GatewayApplication.Configuration
    ) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let authentication = writes.authentication

        /// The state of `name`: the scrape service's, else what the log holds (a set scraped earlier).
        @Sendable func state(of name: String, claimedByYou: Bool?) async -> LetterboxdProfileBody? {
            let catalogue = readModel.catalogue()
            let set = catalogue.latestSet(of: name)
            if let state = await writes.letterboxd?.state(of: name) {
                return LetterboxdProfileBody(username: name, state: state, setID: set?.setID, claimedByYou: claimedByYou)
            }
            guard let set else { return nil }
            return LetterboxdProfileBody(
                username: name, state: LetterboxdProfileState(phase: .fetched, fetchedAt: set.scrapedAt), setID: set.setID,
                claimedByYou: claimedByYou)
        }

        routes.post("/letterboxd-users") { request, _ -> Answer in
            let voter = try await authentication.user(request, readModel: readModel)
            let body = try await Requests.decode(LetterboxdRequestBody.self, from: request, limit: configuration.maximumBodyBytes)
            let name = try Self.username(body.username)
            let claim = body.claim ?? false
            if claim, let wait = perAccount.take(voter.id.rateLimitKey) { throw Problem.tooManyRequests(wait, who: "this voter") }
            let accounts = readModel.accounts().state
            if claim, let holder = accounts.claimant(of: name), holder != voter.id {
                throw Problem(.conflict, type: "letterboxd-name-claimed", title: "Letterboxd name claimed",
                              detail: "another voter already claims \(name) as theirs; if it is yours, write to the operators")
            }
            if let queue = writes.letterboxd {
                switch await queue.request(name, by: voter.id) {
                case .accepted: break
                case .voterLimit(let wait):
                    let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
                    throw Problem(.tooManyRequests, type: "letterboxd-request-limit", title: "Too many profile requests",
                                  detail: "you asked for many Letterboxd profiles lately; ask again in \(seconds) s", retryAfter: seconds)
                case .busy(let wait):
                    let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
                    throw Problem(.serviceUnavailable, type: "letterboxd-queue-busy", title: "Profile queue busy",
                                  detail: "MovieMash reads Letterboxd slowly, and enough profiles are waiting; ask again in \(seconds) s",
                                  retryAfter: seconds)
                }
            } else if readModel.catalogue().latestSet(of: name) == nil {
                throw Problem(.serviceUnavailable, type: "scraping-off", title: "Not reading Letterboxd",
                              detail: "this MovieMash does not read Letterboxd profiles (it runs without --scrape), and it has no set of \(name)")
            }
            var position: UInt64?
            if claim, accounts.claimedProfile(of: voter.id)?.lowercased() != name {
                let sealed = try writes.vault.seal(try ClaimedProfile(letterboxdUser: name), for: voter.id)
                let appended = try await writes.appender.append(EventEnvelope(
                    occurredAt: authentication.authority.timestamp, event: .letterboxdClaimed(LetterboxdClaimed(userID: voter.id, sealed: sealed))))
                try await writes.confirm(appended)
                try await readModel.consistency.require(appended + 1)
                // Two voters claiming the same name at once both append; the earlier claim holds it.
                guard readModel.accounts().state.claimedProfile(of: voter.id)?.lowercased() == name else {
                    throw Problem(.conflict, type: "letterboxd-name-claimed", title: "Letterboxd name claimed",
                                  detail: "another voter claimed \(name) a moment before you")
                }
                position = appended
            }
            let claimedByYou = readModel.accounts().state.claimedProfile(of: voter.id)?.lowercased() == name
            guard let answer = await state(of: name, claimedByYou: claimedByYou) else {
                throw Problem(.internalServerError, type: "letterboxd-state-lost", title: "Profile state lost",
                              detail: "the request was taken but its state is not known; ask for it with GET")
            }
            let waiting: Set<String> = ["queued", "fetching", "blocked"]
            return Answer(body: answer, status: waiting.contains(answer.state) ? .accepted : .ok, position: position)
        }
        routes.get("/letterboxd-users/:username") { _, context -> LetterboxdProfileBody in
            let name = try Self.username(context.parameters.get("username") ?? "")
            guard let answer = await state(of: name, claimedByYou: nil) else {
                throw Problem(.notFound, type: "letterboxd-user-unknown", title: "Unknown Letterboxd profile",
                              detail: "MovieMash has not read \(name) and nobody asked for it; POST /api/letterboxd-users asks")
            }
            return answer
        }
        return routes
    }

    /// `text` as a Letterboxd name (lowercase, as Letterboxd's URLs spell it), or a 400 problem.
    static func username(_ text: String) throws(Problem) -> String {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        do { _ = try ClaimedProfile(letterboxdUser: name) } catch {
            throw Problem(.badRequest, type: "invalid-letterboxd-name", title: "Invalid Letterboxd name",
                          detail: "'\(text)' is not a Letterboxd username: 1–40 letters, digits or _")
        }
        return name
    }
}
