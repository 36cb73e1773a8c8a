import Foundation

/// Realistic, seeded sample data: a catalogue of films, Letterboxd top-4 sets, registered voters and a
/// stream of votes between sets. For the demo, benchmarks and tests; the same seed gives the same events.
public struct SampleEvents: Sendable {
    public private(set) var movies: [MovieCatalogued] = []
    public private(set) var sets: [Top4SetScraped] = []
    public private(set) var voters: [UserRegistered] = []
    private var random: SplitMix64
    private var clock: Timestamp

    private static let adjectives = ["Silent", "Last", "Crimson", "Hidden", "Endless", "Paper", "Northern", "Broken",
                                     "Golden", "Lonely", "Electric", "Quiet", "Burning", "Distant", "Little", "Wild"]
    private static let nouns = ["River", "Summer", "Garden", "Station", "Mirror", "Harbour", "Orchard", "Window",
                                "Empire", "Letter", "Island", "Machine", "Forest", "Season", "Stranger", "Lighthouse"]
    private static let genres = ["Drama", "Comedy", "Thriller", "Horror", "Romance", "Science Fiction", "Animation",
                                 "Documentary", "Crime", "Fantasy", "Mystery", "War", "Western", "Music"]
    private static let surnames = ["Varda", "Kurosawa", "Ozu", "Bergman", "Kiarostami", "Denis", "Lynch", "Wong",
                                   "Sciamma", "Tarkovsky", "Campion", "Hitchcock", "Akerman", "Yang", "Bong", "Reichardt"]

    /// When sample events begin unless told otherwise (2026-11-01).
    public static let defaultStart = Timestamp(milliseconds: 1_793_491_200_000)

    /// Builds a catalogue of `films` films, `sets` top-4 sets and `voters` registered voters.
    public init(seed: UInt64, films: Int = 400, sets: Int = 200, voters: Int = 1000,
                start: Timestamp = SampleEvents.defaultStart) {
        precondition(films >= 4 && sets >= 2 && voters >= 1, "sample data needs 4 films, 2 sets and 1 voter")
        random = SplitMix64(seed: seed)
        clock = start
        for index in 0..<films {
            let title = "The \(Self.adjectives.randomElement(using: &random)!) \(Self.nouns.randomElement(using: &random)!)"
            let year = Int.random(in: 1925...2026, using: &random)
            let slug = title.lowercased().replacingOccurrences(of: " ", with: "-") + "-\(year)-\(index)"
            self.movies.append(try! MovieCatalogued(
                movieID: MovieID(slug), letterboxdID: Int64(10_000 + index * 37), title: title, year: year,
                directors: ["\(["Agnès", "Akira", "Yasujirō", "Ingmar", "Claire", "Céline"].randomElement(using: &random)!) \(Self.surnames.randomElement(using: &random)!)"],
                genres: Array(Self.genres.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))))
        }
        for index in 0..<sets {
            let picks = Array(self.movies.indices.shuffled(using: &random).prefix(4)).map { self.movies[$0].movieID }
            self.sets.append(try! Top4SetScraped(
                letterboxdUser: "cinephile_\(index)", movieIDs: picks, scrapedAt: clock))
        }
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for index in 0..<voters {
            let hash = "$2b$12$" + String((0..<53).map { _ in alphabet.randomElement(using: &random)! })
            self.voters.append(try! UserRegistered(userID: random.uuid(), username: "voter\(index)", passwordHash: hash))
        }
    }

    /// The catalogue as events: every film, then every set, then every voter's registration.
    public mutating func catalogueEvents() -> [EventEnvelope] {
        movies.map { envelope(.movieCatalogued($0)) } + sets.map { envelope(.top4SetScraped($0)) }
            + voters.map { envelope(.userRegistered($0)) }
    }

    /// The next vote: a random voter between two random sets, a few hundred milliseconds after the last.
    public mutating func nextVote() -> EventEnvelope {
        let a = Int.random(in: 0..<sets.count, using: &random)
        var b = Int.random(in: 0..<sets.count - 1, using: &random)
        if b >= a { b += 1 }
        let voter = voters.randomElement(using: &random)!
        let castAt = tick()
        let vote = try! VoteCast(
            voteID: random.uuid(), userID: voter.userID, setA: sets[a].setID, setB: sets[b].setID,
            winner: Bool.random(using: &random) ? .setA : .setB, ticketID: random.uuid(), castAt: castAt)
        return EventEnvelope(eventID: random.uuid(), occurredAt: Timestamp(milliseconds: castAt.milliseconds + 3), event: .voteCast(vote))
    }

    private mutating func envelope(_ event: Event) -> EventEnvelope {
        EventEnvelope(eventID: random.uuid(), occurredAt: tick(), event: event)
    }

    private mutating func tick() -> Timestamp {
        clock.milliseconds += Int64.random(in: 1...900, using: &random)
        return clock
    }
}
