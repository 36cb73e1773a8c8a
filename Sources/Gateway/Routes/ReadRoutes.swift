import Foundation
import Hummingbird
import MovieMashCore
import Projections

struct RecommendationBody: Codable, Sendable, JSONBody {
    /// One of the voter's own films the pick resembles, and whose four (a set the voter chose) holds it.
    struct Because: Codable, Sendable, JSONBody {
        var film: FilmBody
        var owner: String?

        func write(to json: inout JSONWriter) {
            json.beginObject()
            json.key("film"); film.write(to: &json)
            json.key("owner"); if let owner { json.string(owner) } else { json.null() }
            json.endObject()
        }
    }

    var film: FilmBody
    var score: Float?
    var reason: Recommendation.Reason
    var because: [Because]

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("film"); film.write(to: &json)
        if let score, score.isFinite { json.key("score"); json.number(Double(score)) }
        json.key("reason"); json.string(reason.rawValue)
        json.key("because"); json.array(because)
        json.endObject()
    }

    /// Up to `limit` picks for `voter`, each saying why: films met only in sets the voter voted against
    /// come last, only when nothing else is known.
    static func picks(for voter: UserID, limit: Int, readModel: ReadModel) -> [RecommendationBody] {
        let catalogue = readModel.catalogue()
        let choices = readModel.voterHistory().choices(of: voter, catalogue: catalogue)
        return readModel.recommendations(voter, limit, choices.rejectedOnly).map { pick in
            RecommendationBody(
                film: FilmBody(pick.film, catalogue: catalogue, elo: nil, standings: nil), score: pick.score, reason: pick.reason,
                because: pick.because.map { film in
                    Because(film: FilmBody(film, catalogue: catalogue, elo: nil, standings: nil),
                            owner: choices.chooser(of: film).flatMap { catalogue.sets[$0]?.letterboxdUser })
                })
        }
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

/// A pair to look at without an account: the landing page's preview (no ticket, so nothing to vote with).
struct PreviewBody: Codable, Sendable, JSONBody {
    var setA: SetBody
    var setB: SetBody

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("setA"); setA.write(to: &json)
        json.key("setB"); setB.write(to: &json)
        json.endObject()
    }
}

/// The public reads: sets, films, both leaderboards (whole, or searched with `q`), an example pair
/// (`/comparisons/preview`, for the landing page: no ticket), and (signed in) recommendations.
enum ReadRoutes {
    /// The fit a leaderboard request names with `fit` (one the node still serves), else the newest.
    static func standings(_ request: Request, readModel: ReadModel) throws -> LeaderboardService.Standings {
        guard let text = request.uri.queryParameters["fit"].map(String.init) else { return readModel.standings() }
        guard let id = UInt64(text) else {
            throw Problem(.badRequest, type: "invalid-fit", title: "Invalid fit id", detail: "fit must be a fit's id (a whole number) from an earlier page, not '\(text)'")
        }
        guard let standings = readModel.fit(id) else {
            let newest = readModel.standings().id.map { "the newest is \($0)" } ?? "none is fitted yet"
            throw Problem(
                .gone, type: "fit-gone", title: "That fit is no longer served",
                detail: "fit \(id) is not among the fits this node keeps (\(newest)); start the walk again without fit")
        }
        return standings
    }

    /// The next page of the same fit (and search), or nil after the last.
    static func next(_ path: String, standings: LeaderboardService.Standings, search: String?, offset: Int, limit: Int, total: Int) -> String? {
        guard offset + limit < total else { return nil }
        let query = search.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map { "q=\($0)&" } ?? ""
        return "\(path)?" + (standings.id.map { "fit=\($0)&" } ?? "") + query + "offset=\(offset + limit)&limit=\(limit)"
    }

    /// The `q` of a leaderboard request: text to find in owners' names and film titles (any case, any
    /// accents), at most 100 characters (Unicode code points, as the contract counts them); nil when
    /// absent or blank.
    static func search(_ request: Request) throws(Problem) -> String? {
        guard let raw = request.uri.queryParameters["q"].map(String.init) else { return nil }
        guard raw.unicodeScalars.count <= 100 else {
            throw Problem(.badRequest, type: "invalid-search", title: "Invalid search",
                          detail: "q must be at most 100 characters, not \(raw.unicodeScalars.count)")
        }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    static func matches(_ text: String?, _ search: String) -> Bool {
        text?.range(of: search, options: [.caseInsensitive, .diacriticInsensitive]) != nil
    }

    static func collection(readModel: ReadModel, authentication: Authentication?, selectors: SelectorCache) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let rankings = RankingCache()
        routes.get("/comparisons/preview") { request, _ -> PreviewBody in
            // `excluding=A,B`: the pair the page shows now, so "another pair" is another.
            var excluded: [PairKey] = []
            if let text = request.uri.queryParameters["excluding"].map(String.init) {
                let ids = text.split(separator: ",").map { try? SetID(hex: String($0)) }
                guard ids.count == 2, let a = ids[0], let b = ids[1] else {
                    throw Problem(.badRequest, type: "invalid-pair", title: "Invalid pair",
                                  detail: "excluding must be two set ids separated by a comma, not '\(text)'")
                }
                excluded = [PairKey(a, b)]
            }
            guard let (a, b, catalogue) = selectors.draw(readModel: readModel, excluding: excluded) else {
                throw Problem(.serviceUnavailable, type: "no-comparisons", title: "Nothing to compare", detail: "fewer than two sets are known yet")
            }
            let tallies = readModel.tallies(), elo = readModel.elo(), standings = readModel.standings()
            return PreviewBody(
                setA: SetBody(a, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings),
                setB: SetBody(b, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings))
        }
        routes.get("/sets/:id") { _, context -> SetBody in
            let text = try context.parameters.require("id")
            let id: SetID
            do { id = try SetID(hex: text) } catch {
                throw Problem(.badRequest, type: "invalid-set-id", title: "Invalid set id", detail: "\(error)")
            }
            let catalogue = readModel.catalogue()
            guard let set = catalogue.sets[id] else {
                throw Problem(.notFound, type: "set-not-found", title: "No such set", detail: "no top-4 set has id \(text)")
            }
            return SetBody(set, catalogue: catalogue, tallies: readModel.tallies(), elo: readModel.elo(), standings: readModel.standings())
        }
        routes.get("/movies/:id") { _, context -> FilmBody in
            let text = try context.parameters.require("id")
            let id: MovieID
            do { id = try MovieID(text) } catch {
                throw Problem(.badRequest, type: "invalid-movie-id", title: "Invalid film id", detail: "\(error)")
            }
            let catalogue = readModel.catalogue()
            guard catalogue.movies[id] != nil else {
                throw Problem(.notFound, type: "movie-not-found", title: "No such film", detail: "no film has id \(text)")
            }
            return FilmBody(id, catalogue: catalogue, elo: readModel.elo(), standings: readModel.standings())
        }
        routes.get("/leaderboard/sets") { request, _ -> Page<SetBody> in
            let (offset, limit) = try Requests.paging(request)
            let search = try Self.search(request)
            let standings = try Self.standings(request, readModel: readModel)
            let catalogue = readModel.catalogue(), tallies = readModel.tallies(), elo = readModel.elo()
            var ranked = rankings.ranked(catalogue: catalogue, elo: elo, standings: standings).sets
            if let search {
                ranked = ranked.filter { id in
                    let set = catalogue.sets[id]!
                    return Self.matches(set.letterboxdUser, search) || set.movieIDs.contains { Self.matches(catalogue.movies[$0]?.title, search) }
                }
            }
            let items = ranked.dropFirst(offset).prefix(limit).map {
                SetBody(catalogue.sets[$0]!, catalogue: catalogue, tallies: tallies, elo: elo, standings: standings)
            }
            return Page(
                items: Array(items), total: ranked.count, offset: offset, limit: limit, votes: tallies.votes,
                fit: FitBody(standings, counts: readModel.counts()),
                next: Self.next("/api/leaderboard/sets", standings: standings, search: search, offset: offset, limit: limit, total: ranked.count))
        }
        routes.get("/leaderboard/movies") { request, _ -> Page<FilmBody> in
            let (offset, limit) = try Requests.paging(request)
            let search = try Self.search(request)
            let standings = try Self.standings(request, readModel: readModel)
            let catalogue = readModel.catalogue(), elo = readModel.elo(), votes = readModel.tallies().votes
            var ranked = rankings.ranked(catalogue: catalogue, elo: elo, standings: standings).films
            if let search { ranked = ranked.filter { Self.matches(catalogue.movies[$0]?.title, search) } }
            let items = ranked.dropFirst(offset).prefix(limit).map { FilmBody($0, catalogue: catalogue, elo: elo, standings: standings) }
            return Page(
                items: Array(items), total: ranked.count, offset: offset, limit: limit, votes: votes,
                fit: FitBody(standings, counts: readModel.counts()),
                next: Self.next("/api/leaderboard/movies", standings: standings, search: search, offset: offset, limit: limit, total: ranked.count))
        }
        if let authentication {
            routes.get("/recommendations") { request, _ -> RecommendationsBody in
                let voter = try await authentication.user(request, readModel: readModel)
                let limit = try Requests.paging(request).limit
                return RecommendationsBody(items: RecommendationBody.picks(for: voter.id, limit: limit, readModel: readModel))
            }
        }
        return routes
    }
}
