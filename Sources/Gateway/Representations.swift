import Foundation
import HTTPTypes
import Hummingbird
import MovieMashCore
import NIOCore
import Projections

/// A response body the gateway writes as JSON itself: Foundation's `JSONEncoder` took a quarter of the CPU
/// of a comparison request. `Codable` stays for clients (and tests) that decode the same shapes.
protocol JSONBody: ResponseGenerator {
    func write(to json: inout JSONWriter)
}

extension JSONBody {
    public func response(from request: Request, context: some RequestContext) -> Response { response(status: .ok) }

    func response(status: HTTPResponse.Status) -> Response {
        var json = JSONWriter(capacity: 1024)
        write(to: &json)
        return Response(status: status, headers: HTTPFields([jsonContentType]), body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}

/// Made once: building a field checks its name and value, and every JSON response has this one.
private let jsonContentType = HTTPField(name: .contentType, value: "application/json; charset=utf-8")

extension JSONWriter {
    mutating func array(_ items: [some JSONBody]) {
        beginArray()
        for item in items { item.write(to: &self) }
        endArray()
    }
}

/// `body` with another status than 200.
/// A 201 whose `MovieMash-Position` is what a node must reach to reflect the write (its event's position
/// plus one).
struct Created<Body: JSONBody>: ResponseGenerator {
    var body: Body
    var position: UInt64
    /// Where the created resource is read (`Location`).
    var location: String

    func response(from request: Request, context: some RequestContext) -> Response {
        var response = body.response(status: .created)
        response.carryPosition(ofWrite: position)
        response.headers[.location] = location
        return response
    }
}

/// A Bradley–Terry estimate as the API shows it: `rank`…`worstRank` is the range of places its interval
/// allows ("#`position` · could be `rank`–`worstRank`").
struct StrengthBody: Codable, Sendable, JSONBody {
    var rating: Double
    var lower: Double
    var upper: Double
    var rank: Int
    var worstRank: Int
    var position: Int
    var comparisons: Int

    init(_ standing: BradleyTerry.Standing) {
        rating = standing.rating
        lower = standing.lower
        upper = standing.upper
        rank = standing.rank
        worstRank = standing.worstRank
        position = standing.position
        comparisons = standing.comparisons
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("rating"); json.number(rating)
        json.key("lower"); json.number(lower)
        json.key("upper"); json.number(upper)
        json.key("rank"); json.integer(rank)
        json.key("worstRank"); json.integer(worstRank)
        json.key("position"); json.integer(position)
        json.key("comparisons"); json.integer(comparisons)
        json.endObject()
    }
}

/// Which Bradley–Terry fit a response shows, and how far it is behind what the node has read.
struct FitBody: Codable, Sendable, JSONBody {
    /// The fit's id (the log position it covers); nil before the first fit.
    var id: UInt64?
    /// It covers every event below this log position.
    var position: UInt64
    var fittedAt: String?
    /// Votes the fit covers.
    var votes: Int
    /// Votes this node has counted.
    var votesInLog: Int
    /// Events this node's counts have applied beyond the fit; 0 while it is current.
    var eventsBehind: UInt64
    /// Seconds since the fit finished.
    var ageSeconds: Double?
    var durationSeconds: Double?
    /// `pending` (no fit yet: ordered by Elo), `current` (it covers every vote, set and film counted) or
    /// `updating` (newer votes, sets or films wait for the next fit): `FitCoverage`'s one definition.
    var state: String

    init(_ standings: LeaderboardService.Standings, counts: (coverage: FitCoverage, position: UInt64), now: Date = Date()) {
        id = standings.id
        position = standings.position
        fittedAt = standings.fittedAt.map { Timestamp($0).description }
        votes = standings.votes
        votesInLog = counts.coverage.votes
        let standing = FitCoverage.standing(served: standings.coverage, position: standings.position, counts: counts.coverage, countedTo: counts.position)
        eventsBehind = standing.eventsBehind
        ageSeconds = standings.fittedAt.map { (now.timeIntervalSince($0) * 1000).rounded() / 1000 }
        durationSeconds = standings.duration.map { Double($0 / .microseconds(1)) / 1_000_000 }
        state = standing.state.rawValue
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id"); if let id { json.integer(Int(id)) } else { json.null() }
        json.key("position"); json.integer(Int(position))
        json.key("fittedAt"); if let fittedAt { json.string(fittedAt) } else { json.null() }
        json.key("votes"); json.integer(votes)
        json.key("votesInLog"); json.integer(votesInLog)
        json.key("eventsBehind"); json.integer(Int(eventsBehind))
        json.key("ageSeconds"); if let ageSeconds { json.number(ageSeconds) } else { json.null() }
        json.key("durationSeconds"); if let durationSeconds { json.number(durationSeconds) } else { json.null() }
        json.key("state"); json.string(state)
        json.endObject()
    }
}

struct FilmBody: Codable, Sendable, JSONBody {
    var id: String
    var letterboxdID: Int64?
    var title: String?
    var year: Int?
    var directors: [String]
    var genres: [String]
    /// The poster image's https URL, when the catalogue has one on Letterboxd's poster server (the only
    /// image host the page's policy allows).
    var poster: String?
    /// The film's Letterboxd page, for a film catalogued from Letterboxd (not for imported demo data).
    var letterboxdURL: String?
    var elo: Double?
    var bradleyTerry: StrengthBody?

    init(_ id: MovieID, catalogue: Catalogue, elo: EloRatings?, standings: LeaderboardService.Standings?) {
        let movie = catalogue.movies[id]
        self.id = id.slug
        letterboxdID = movie?.letterboxdID
        title = movie?.title
        year = movie?.year
        directors = movie?.directors ?? []
        genres = movie?.genres ?? []
        poster = movie?.poster.flatMap { $0.hasPrefix(EdgeMiddleware.posterOrigin + "/") ? $0 : nil }
        letterboxdURL = movie?.source == .letterboxd ? "https://letterboxd.com/film/\(id.slug)/" : nil
        self.elo = elo?.rating(of: id)
        bradleyTerry = standings?.films[id].map(StrengthBody.init)
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id"); json.string(id)
        if let letterboxdID { json.key("letterboxdID"); json.integer(letterboxdID) }
        if let title { json.key("title"); json.string(title) }
        if let year { json.key("year"); json.integer(year) }
        json.key("directors"); json.strings(directors)
        json.key("genres"); json.strings(genres)
        if let poster { json.key("poster"); json.string(poster) }
        if let letterboxdURL { json.key("letterboxdURL"); json.string(letterboxdURL) }
        if let elo, elo.isFinite { json.key("elo"); json.number(elo) }
        if let bradleyTerry { json.key("bradleyTerry"); bradleyTerry.write(to: &json) }
        json.endObject()
    }
}

struct SetBody: Codable, Sendable, JSONBody {
    var id: String
    var owner: String
    /// The owner's Letterboxd profile, when the set's films were catalogued from Letterboxd (a set of
    /// imported demo data has an invented owner and no profile).
    var ownerURL: String?
    var films: [FilmBody]
    var scrapedAt: String
    var elo: Double?
    var bradleyTerry: StrengthBody?
    var wins: Int
    var losses: Int
    var appearances: Int

    init(_ set: Top4SetScraped, catalogue: Catalogue, tallies: Tallies, elo: EloRatings, standings: LeaderboardService.Standings) {
        id = set.setID.description
        owner = set.letterboxdUser
        films = set.movieIDs.map { FilmBody($0, catalogue: catalogue, elo: nil, standings: nil) }
        ownerURL = films.allSatisfy { $0.letterboxdURL != nil } ? "https://letterboxd.com/\(set.letterboxdUser)/" : nil
        scrapedAt = set.scrapedAt.description
        self.elo = elo.rating(of: set.setID)
        bradleyTerry = standings.sets[set.setID].map(StrengthBody.init)
        (wins, losses, appearances) = tallies.record(of: set.setID)
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id"); json.string(id)
        json.key("owner"); json.string(owner)
        if let ownerURL { json.key("ownerURL"); json.string(ownerURL) }
        json.key("films"); json.array(films)
        json.key("scrapedAt"); json.string(scrapedAt)
        if let elo, elo.isFinite { json.key("elo"); json.number(elo) }
        if let bradleyTerry { json.key("bradleyTerry"); bradleyTerry.write(to: &json) }
        json.key("wins"); json.integer(wins)
        json.key("losses"); json.integer(losses)
        json.key("appearances"); json.integer(appearances)
        json.endObject()
    }
}

struct Page<Item: Codable & Sendable & JSONBody>: Codable, Sendable, JSONBody {
    var items: [Item]
    var total: Int
    var offset: Int
    var limit: Int
    /// Votes counted so far: the evidence the ranking rests on.
    var votes: Int
    /// The fit the order comes from.
    var fit: FitBody
    /// The next page of the same fit, while there is one.
    var next: String?

    /// Names the fit (`MovieMash-Fit`) so that a load balancer can send the walk's next pages, which ask
    /// for it with `fit`, to the node that holds it.
    func response(from request: Request, context: some RequestContext) -> Response {
        var response = response(status: .ok)
        if let id = fit.id { response.headers[Self.fitHeader] = String(id) }
        return response
    }

    static var fitHeader: HTTPField.Name { HTTPField.Name("MovieMash-Fit")! }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("items"); json.array(items)
        json.key("total"); json.integer(total)
        json.key("offset"); json.integer(offset)
        json.key("limit"); json.integer(limit)
        json.key("votes"); json.integer(votes)
        json.key("fit"); fit.write(to: &json)
        json.key("next"); if let next { json.string(next) } else { json.null() }
        json.endObject()
    }
}

struct HealthBody: Codable, Sendable, JSONBody {
    var status: String
    var version = BuildInfo.version
    var commit = BuildInfo.commit

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("commit"); json.string(commit)
        json.key("status"); json.string(status)
        json.key("version"); json.string(version)
        json.endObject()
    }
}
