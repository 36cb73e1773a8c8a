import MovieMashCore
import OrderedCollections
import Recommender

/// Who interacted with which film, for the recommender: a scraped top-4 gives its Letterboxd user the four
/// films (`favouriteWeight`); a vote gives the voter the four films of the set they chose (`voteWeight`).
///
/// The set a voter did not choose is not used: losing a comparison says the voter preferred the other
/// set, not that they dislike these films (they are someone's favourites, often strong ones); treating them
/// as negatives would punish films for being paired with stronger sets. Unchosen films stay unobserved,
/// which implicit feedback already treats as weak negatives.
public struct RecommenderInteractions: Projector {
    public struct Configuration: Sendable, Equatable {
        public var favouriteWeight: Float = 1
        public var voteWeight: Float = 0.5

        public init() {}
    }

    /// A person the recommender knows: a Letterboxd user (from scrapes) or a MovieMash voter.
    public enum Person: Hashable, Sendable {
        case letterboxd(String)
        case voter(UserID)
    }

    public static let name = "interactions"
    public static let version: UInt32 = 1

    public let configuration: Configuration
    public private(set) var people = OrderedSet<Person>()
    public private(set) var films = OrderedSet<MovieID>()
    public private(set) var matrix = InteractionMatrix()
    private var setFilms: [SetID: [Int32]] = [:]
    /// How many people have each film (derived from `matrix`, kept as it grows for the cold-start ranking).
    public private(set) var peoplePerFilm: [Int] = []
    /// The person and films the last event touched (what a service folds in).
    public private(set) var lastTouched: (person: Int, films: [Int])?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var configurationBytes: [UInt8] {
        var writer = SnapshotWriter()
        writer.write(Double(configuration.favouriteWeight))
        writer.write(Double(configuration.voteWeight))
        return writer.bytes
    }

    /// A person's films and weights.
    public func interactions(of person: Person) -> [(item: Int, weight: Float)] {
        guard let index = people.firstIndex(of: person), Int(index) < matrix.rows.count else { return [] }
        return matrix.rows[Int(index)].map { (Int($0.column), $0.value) }
    }

    public mutating func apply(_ event: EventEnvelope) {
        lastTouched = nil
        switch event.event {
        case .top4SetScraped(let scraped):
            let indices = scraped.movieIDs.map { Int32(films.append($0).index) }
            setFilms[scraped.setID] = indices
            matrix.ensure(columns: films.count)
            record(.letterboxd(scraped.letterboxdUser), indices, weight: configuration.favouriteWeight)
        case .voteCast(let vote):
            guard let chosen = setFilms[vote.winningSet] else { return }
            record(.voter(vote.userID), chosen, weight: configuration.voteWeight)
        case .movieCatalogued(let movie):
            _ = films.append(movie.movieID)
            matrix.ensure(columns: films.count)
        case .userRegistered, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed:
            break
        }
    }

    private mutating func record(_ person: Person, _ indices: [Int32], weight: Float) {
        let row = Int(Int32(people.append(person).index))
        for film in indices { add(row: row, film: Int(film), weight: weight) }
        lastTouched = (row, indices.map(Int.init))
    }

    private mutating func add(row: Int, film: Int, weight: Float) {
        guard matrix.add(row: row, column: film, value: weight) else { return }
        while peoplePerFilm.count <= film { peoplePerFilm.append(0) }
        peoplePerFilm[film] += 1
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: people.count)
        for person in people.elements {
            switch person {
            case .letterboxd(let name):
                writer.write(UInt32(0))
                writer.write(name)
            case .voter(let id):
                writer.write(UInt32(1))
                writer.write(id)
            }
        }
        writer.write(count: films.count)
        for film in films.elements { writer.write(film.slug) }
        for row in matrix.rows.indices {
            writer.write(count: matrix.rows[row].count)
            for cell in matrix.rows[row] {
                writer.write(cell.column)
                writer.write(Double(cell.value))
            }
        }
        writer.write(count: setFilms.count)
        for set in setFilms.keys.sorted() {
            set.write(to: &writer)
            for film in setFilms[set]! { writer.write(film) }
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        var personKeys: [Person] = [], filmKeys: [MovieID] = []
        for _ in 0..<(try reader.count(minimumBytes: 8)) {
            switch try reader.uint32() {
            case 0: personKeys.append(.letterboxd(try reader.string()))
            case 1: personKeys.append(.voter(try reader.uuid()))
            case let tag: throw SnapshotError("unknown person tag \(tag)")
            }
        }
        for _ in 0..<(try reader.count(minimumBytes: 4)) {
            let slug = try reader.string()
            do { filmKeys.append(try MovieID(slug)) } catch { throw SnapshotError("bad film id '\(slug)'") }
        }
        people = try OrderedSet(snapshotKeys: personKeys)
        films = try OrderedSet(snapshotKeys: filmKeys)
        matrix = InteractionMatrix()
        matrix.ensure(columns: films.count)
        peoplePerFilm = []
        for row in 0..<people.count {
            for _ in 0..<(try reader.count(minimumBytes: 12)) {
                let column = Int(try reader.int32())
                guard column >= 0, column < films.count else { throw SnapshotError("an interaction names an unknown film") }
                add(row: row, film: column, weight: Float(try reader.double()))
            }
        }
        setFilms = [:]
        for _ in 0..<(try reader.count(minimumBytes: 32)) {
            let set = try SetID.read(from: &reader)
            var indices: [Int32] = []
            for _ in 0..<4 {
                let film = try reader.int32()
                guard film >= 0, film < films.count else { throw SnapshotError("a set names an unknown film") }
                indices.append(film)
            }
            setFilms[set] = indices
        }
        lastTouched = nil
    }
}
