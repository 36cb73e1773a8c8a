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
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}

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

    func response(from request: Request, context: some RequestContext) -> Response {
        var response = body.response(status: .created)
        response.headers[Consistency.positionHeader] = String(position + 1)
        return response
    }
}

/// A Bradley–Terry estimate as the API shows it.
struct StrengthBody: Codable, Sendable, JSONBody {
    var rating: Double
    var lower: Double
    var upper: Double
    var rank: Int
    var comparisons: Int

    init(_ standing: BradleyTerry.Standing) {
        rating = standing.rating
        lower = standing.lower
        upper = standing.upper
        rank = standing.rank
        comparisons = standing.comparisons
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("rating"); json.number(rating)
        json.key("lower"); json.number(lower)
        json.key("upper"); json.number(upper)
        json.key("rank"); json.integer(rank)
        json.key("comparisons"); json.integer(comparisons)
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
        if let elo, elo.isFinite { json.key("elo"); json.number(elo) }
        if let bradleyTerry { json.key("bradleyTerry"); bradleyTerry.write(to: &json) }
        json.endObject()
    }
}

struct SetBody: Codable, Sendable, JSONBody {
    var id: String
    var owner: String
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
        scrapedAt = set.scrapedAt.description
        self.elo = elo.rating(of: set.setID)
        bradleyTerry = standings.sets[set.setID].map(StrengthBody.init)
        (wins, losses, appearances) = tallies.record(of: set.setID)
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id"); json.string(id)
        json.key("owner"); json.string(owner)
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

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("items"); json.array(items)
        json.key("total"); json.integer(total)
        json.key("offset"); json.integer(offset)
        json.key("limit"); json.integer(limit)
        json.key("votes"); json.integer(votes)
        json.endObject()
    }
}

struct HealthBody: Codable, Sendable, JSONBody {
    var status: String

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("status"); json.string(status)
        json.endObject()
    }
}
