import MovieMashCore
import OrderedCollections

/// What is known about films and sets: each film's latest metadata, each set's owner and films, and a
/// 64-bit genre signature per set (the union of its films' genres) for pairing diverse sets.
public struct Catalogue: Projector {
    public static let name = "catalogue"
    public static let version: UInt32 = 3

    public private(set) var movies: [MovieID: MovieCatalogued] = [:]
    public private(set) var sets: [SetID: Top4SetScraped] = [:]
    /// Each Letterboxd user's most recently scraped set.
    public private(set) var latestSets: [String: SetID] = [:]
    /// Derived (never encoded): each user's name as the log spells it, by its lowercase form.
    private var spellings: [String: String] = [:]
    /// Genres in order of first sight; a genre's bit in a signature is its index modulo 64.
    public private(set) var genres = OrderedSet<String>()

    public init() {}

    public var configurationBytes: [UInt8] { [] }

    public mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .movieCatalogued(let movie):
            for genre in movie.genres { _ = genres.append(genre) }
            movies[movie.movieID] = movie
        case .top4SetScraped(let set):
            sets[set.setID] = set
            latestSets[set.letterboxdUser] = set.setID
            spellings[set.letterboxdUser.lowercased()] = set.letterboxdUser
        case .userRegistered, .voteCast, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed:
            break
        }
    }

    /// The latest set of the Letterboxd user `name`, however its case is written (Letterboxd's names are
    /// case-insensitive; the log keeps the spelling it was scraped under).
    public func latestSet(of name: String) -> Top4SetScraped? {
        (latestSets[name] ?? spellings[name.lowercased()].flatMap { latestSets[$0] }).flatMap { sets[$0] }
    }

    /// The genres of a set's films as bits (films not catalogued yet contribute nothing).
    public func genreSignature(of set: SetID) -> UInt64 {
        guard let films = sets[set]?.movieIDs else { return 0 }
        var signature: UInt64 = 0
        for film in films {
            for genre in movies[film]?.genres ?? [] {
                if let index = genres.firstIndex(of: genre) { signature |= 1 << UInt64(index % 64) }
            }
        }
        return signature
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: genres.count)
        for genre in genres.elements { writer.write(genre) }
        writer.write(count: movies.count)
        for id in movies.keys.sorted() {
            let movie = movies[id]!
            writer.write(id.slug)
            writer.write(UInt64(bitPattern: movie.letterboxdID))
            writer.write(movie.title)
            writer.write(UInt32(movie.year ?? 0))
            for list in [movie.directors, movie.genres] {
                writer.write(count: list.count)
                for name in list { writer.write(name) }
            }
            writer.write(movie.poster ?? "")
            writer.write(movie.source.rawValue)
        }
        writer.write(count: sets.count)
        for id in sets.keys.sorted() {
            let set = sets[id]!
            id.write(to: &writer)
            writer.write(set.letterboxdUser)
            for film in set.movieIDs { writer.write(film.slug) }
            writer.write(UInt64(bitPattern: set.scrapedAt.milliseconds))
        }
        writer.write(count: latestSets.count)
        for user in latestSets.keys.sorted() {
            writer.write(user)
            latestSets[user]!.write(to: &writer)
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        var genreKeys: [String] = []
        for _ in 0..<(try reader.count(minimumBytes: 4)) { genreKeys.append(try reader.string()) }
        genres = try OrderedSet(snapshotKeys: genreKeys)
        movies = [:]
        sets = [:]
        do {
            for _ in 0..<(try reader.count(minimumBytes: 44)) {
                let id = try MovieID(try reader.string())
                let letterboxdID = Int64(bitPattern: try reader.uint64())
                let title = try reader.string()
                let year = Int(try reader.uint32())
                var lists: [[String]] = []
                for _ in 0..<2 {
                    var names: [String] = []
                    for _ in 0..<(try reader.count(minimumBytes: 4)) { names.append(try reader.string()) }
                    lists.append(names)
                }
                let poster = try reader.string(), sourceName = try reader.string()
                guard let source = MovieCatalogued.Source(rawValue: sourceName) else { throw SnapshotError("unknown film source '\(sourceName)'") }
                movies[id] = try MovieCatalogued(
                    movieID: id, letterboxdID: letterboxdID, title: title, year: year == 0 ? nil : year,
                    directors: lists[0], genres: lists[1], poster: poster.isEmpty ? nil : poster, source: source)
            }
            for _ in 0..<(try reader.count(minimumBytes: 44)) {
                let id = try SetID.read(from: &reader)
                let owner = try reader.string()
                var films: [MovieID] = []
                for _ in 0..<4 { films.append(try MovieID(try reader.string())) }
                let scrapedAt = Timestamp(milliseconds: Int64(bitPattern: try reader.uint64()))
                sets[id] = try Top4SetScraped(setID: id, letterboxdUser: owner, movieIDs: films, scrapedAt: scrapedAt)
            }
            latestSets = [:]
            spellings = [:]
            for _ in 0..<(try reader.count(minimumBytes: 20)) {
                let user = try reader.string()
                let set = try SetID.read(from: &reader)
                guard sets[set] != nil else { throw SnapshotError("the latest set of \(user) is unknown") }
                latestSets[user] = set
                spellings[user.lowercased()] = user
            }
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw SnapshotError("catalogue state holds an invalid event: \(error)")
        }
    }
}
