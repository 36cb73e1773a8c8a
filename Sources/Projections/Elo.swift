import Foundation
import MovieMashCore
import OrderedCollections

/// Online Elo ratings of sets and of films, updated in log order.
///
/// A vote moves the two sets by `k·(1 − E)`, E being the winner's expected score
/// `1 / (1 + 10^((loser − winner) / scale))`. Films are rated as teams, once per vote: E from the two sets'
/// summed film ratings, then each film of the winning set gains `filmK·(1 − E)/4` and each film of the
/// losing set loses as much (a film in both sets nets zero), so a set's four films together move as a set
/// with `k = filmK` would. A vote on a set whose films are not known yet moves only the sets. Unknown items
/// start at `base`.
public struct EloRatings: Projector {
    public struct Configuration: Sendable, Equatable {
        public var k = 32.0
        /// What a set's four films together move by in a vote, as `k` for a set.
        public var filmK = 32.0
        public var scale = 400.0
        public var base = 1500.0

        public init() {}
    }

    public static let name = "elo"
    /// 2: films move as teams, once per vote.
    public static let version: UInt32 = 2

    public let configuration: Configuration
    public private(set) var sets = OrderedSet<SetID>()
    public private(set) var setRatings: [Double] = []
    private var setGames: [UInt32] = []
    /// Four film indices per set, -1 while the set's films are unknown.
    private var setFilms: [Int32] = []
    public private(set) var films = OrderedSet<MovieID>()
    public private(set) var filmRatings: [Double] = []
    private var filmGames: [UInt32] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var configurationBytes: [UInt8] {
        var writer = SnapshotWriter()
        for value in [configuration.k, configuration.filmK, configuration.scale, configuration.base] { writer.write(value) }
        return writer.bytes
    }

    public func rating(of set: SetID) -> Double? { sets.firstIndex(of: set).map { setRatings[Int($0)] } }
    public func rating(of film: MovieID) -> Double? { films.firstIndex(of: film).map { filmRatings[Int($0)] } }
    public func games(of set: SetID) -> Int { sets.firstIndex(of: set).map { Int(setGames[Int($0)]) } ?? 0 }

    private mutating func internSet(_ set: SetID) -> Int {
        let (isNew, index) = sets.append(set)
        if isNew {
            setRatings.append(configuration.base)
            setGames.append(0)
            setFilms.append(contentsOf: [-1, -1, -1, -1])
        }
        return Int(index)
    }

    private mutating func internFilm(_ film: MovieID) -> Int32 {
        let (isNew, index) = films.append(film)
        if isNew {
            filmRatings.append(configuration.base)
            filmGames.append(0)
        }
        return Int32(index)
    }

    /// `1 / (1 + 10^((opponent − rating) / scale))`, through `exp` (several times faster than `pow`).
    private func expected(_ rating: Double, against opponent: Double) -> Double {
        1 / (1 + exp((opponent - rating) * (M_LN10 / configuration.scale)))
    }

    public mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .top4SetScraped(let scraped):
            let set = internSet(scraped.setID)
            for (slot, film) in scraped.movieIDs.enumerated() { setFilms[4 * set + slot] = internFilm(film) }
        case .voteCast(let vote):
            let winner = internSet(vote.winningSet), loser = internSet(vote.losingSet)
            let change = configuration.k * (1 - expected(setRatings[winner], against: setRatings[loser]))
            setRatings[winner] += change
            setRatings[loser] -= change
            setGames[winner] += 1
            setGames[loser] += 1
            creditFilms(of: winner, against: loser)
        case .movieCatalogued, .userRegistered, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed:
            break
        }
    }

    /// The team update: the two sets' summed film ratings give the winner's expectation, and each film of
    /// the winning set gains a quarter of `filmK·(1 − E)`, each film of the losing set loses as much (a
    /// film in both sets nets zero).
    private mutating func creditFilms(of winner: Int, against loser: Int) {
        let winning = setFilms[(4 * winner)..<(4 * winner + 4)], losing = setFilms[(4 * loser)..<(4 * loser + 4)]
        guard winning.allSatisfy({ $0 >= 0 }), losing.allSatisfy({ $0 >= 0 }) else { return }
        var winningSum = 0.0, losingSum = 0.0
        for film in winning { winningSum += filmRatings[Int(film)] }
        for film in losing { losingSum += filmRatings[Int(film)] }
        let change = configuration.filmK * (1 - expected(winningSum, against: losingSum)) / 4
        for film in winning {
            filmRatings[Int(film)] += change
            filmGames[Int(film)] += 1
        }
        for film in losing {
            filmRatings[Int(film)] -= change
            filmGames[Int(film)] += 1
        }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: sets.count)
        for index in sets.indices {
            sets.elements[index].write(to: &writer)
            writer.write(setRatings[index])
            writer.write(setGames[index])
            for slot in 0..<4 { writer.write(setFilms[4 * index + slot]) }
        }
        writer.write(count: films.count)
        for index in films.indices {
            writer.write(films.elements[index].slug)
            writer.write(filmRatings[index])
            writer.write(filmGames[index])
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        var setKeys: [SetID] = [], filmKeys: [MovieID] = []
        (setRatings, setGames, setFilms, filmRatings, filmGames) = ([], [], [], [], [])
        for _ in 0..<(try reader.count(minimumBytes: 44)) {
            setKeys.append(try SetID.read(from: &reader))
            setRatings.append(try reader.double())
            setGames.append(try reader.uint32())
            for _ in 0..<4 { setFilms.append(try reader.int32()) }
        }
        for _ in 0..<(try reader.count(minimumBytes: 16)) {
            let slug = try reader.string()
            do { filmKeys.append(try MovieID(slug)) } catch { throw SnapshotError("bad film id '\(slug)'") }
            filmRatings.append(try reader.double())
            filmGames.append(try reader.uint32())
        }
        guard setFilms.allSatisfy({ $0 < filmKeys.count }) else { throw SnapshotError("a set names an unknown film") }
        sets = try OrderedSet(snapshotKeys: setKeys)
        films = try OrderedSet(snapshotKeys: filmKeys)
    }
}
