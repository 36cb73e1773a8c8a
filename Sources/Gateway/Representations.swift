import Hummingbird
import MovieMashCore
import Projections

/// A Bradley–Terry estimate as the API shows it.
struct StrengthBody: Codable, Sendable {
    var rating: Double
    var lower: Double
    var upper: Double
    var rank: Int

    init(_ standing: BradleyTerry.Standing) {
        rating = standing.rating
        lower = standing.lower
        upper = standing.upper
        rank = standing.rank
    }
}

struct FilmBody: Codable, Sendable, ResponseEncodable {
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
}

struct SetBody: Codable, Sendable, ResponseEncodable {
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
}

struct Page<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    var items: [Item]
    var total: Int
    var offset: Int
    var limit: Int
}

struct HealthBody: Codable, Sendable, ResponseEncodable {
    var status: String
}
