import Recommender
import MovieMashCore
import OrderedCollections

/// What Bradley–Terry fits: the votes between sets, and each set's four films. The set board fits the
/// pair counts directly; the film board fits the same counts with a set's strength the sum of its films'
/// (`FilmTeams`), so a vote counts once on both. The fits run in the background (`LeaderboardService`),
/// from a snapshot of these counts.
public struct BradleyTerryCounts: Projector {
    public static let name = "bradley-terry"
    /// 2: no film-pair table; films are fitted as teams from the set pairs.
    public static let version: UInt32 = 2
    /// Only the background fit reads the counts, every few seconds: published once a second.
    public static let publishInterval: Duration = .seconds(1)

    public let configuration: BradleyTerry.Configuration
    public private(set) var sets = PairCounts<SetID>()
    /// Every film of a scraped set, in order of first sight.
    public private(set) var films = OrderedSet<MovieID>()
    /// Four film indices per set index, -1 while unknown.
    public private(set) var setFilms: [Int32] = []
    public private(set) var votes = 0

    public init(configuration: BradleyTerry.Configuration = BradleyTerry.Configuration()) {
        self.configuration = configuration
    }

    public var configurationBytes: [UInt8] { configuration.bytes }

    private mutating func internSet(_ set: SetID) -> Int {
        let index = Int(sets.intern(set))
        while setFilms.count < 4 * (index + 1) { setFilms.append(-1) }
        return index
    }

    public mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .top4SetScraped(let scraped):
            let set = internSet(scraped.setID)
            for (slot, film) in scraped.movieIDs.enumerated() { setFilms[4 * set + slot] = Int32(films.append(film).index) }
        case .voteCast(let vote):
            sets.record(winner: Int32(internSet(vote.winningSet)), loser: Int32(internSet(vote.losingSet)))
            votes += 1
        case .movieCatalogued, .userRegistered, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed:
            break
        }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: votes)
        sets.encode(into: &writer) { set, writer in set.write(to: &writer) }
        writer.write(count: films.count)
        for film in films { writer.write(film.slug) }
        for film in setFilms { writer.write(film) }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        votes = Int(try reader.uint64())
        try sets.decode(from: &reader) { reader throws(SnapshotError) in try SetID.read(from: &reader) }
        var keys: [MovieID] = []
        for _ in 0..<(try reader.count()) {
            let slug = try reader.string()
            do { keys.append(try MovieID(slug)) } catch { throw SnapshotError("bad film id '\(slug)'") }
        }
        films = try OrderedSet(snapshotKeys: keys)
        setFilms = []
        for _ in 0..<(4 * sets.items.count) { setFilms.append(try reader.int32()) }
        guard setFilms.allSatisfy({ $0 < films.count }) else { throw SnapshotError("a set names an unknown film") }
    }
}

/// Bradley–Terry standings of one kind of item, best first, computed in one go and never changed.
public struct Leaderboard<Item: Hashable & Sendable>: Sendable {
    public struct Entry: Sendable {
        public var item: Item
        public var standing: BradleyTerry.Standing
    }

    /// Best rating first (`standing.position` order).
    public let entries: [Entry]
    @usableFromInline let byItem: [Item: Int]
    /// What the next refit of more votes on the same items starts from.
    public let solutions: BradleyTerry.Solutions

    public init(entries: [Entry], solutions: BradleyTerry.Solutions = BradleyTerry.Solutions()) {
        self.entries = entries
        self.solutions = solutions
        byItem = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.item, $0) })
    }

    private init(entries: [Entry], byItem: [Item: Int]) {
        self.entries = entries
        self.byItem = byItem
        solutions = BradleyTerry.Solutions()
    }

    public static var empty: Leaderboard { Leaderboard(entries: []) }

    /// The item's log-strength in each bootstrap round less its mean over the rounds (empty when the
    /// solutions were dropped or the item is not fitted).
    public func deviations(of item: Item) -> [Float] {
        guard let standing = self[item], !solutions.rounds.isEmpty else { return [] }
        let index = Int(standing.item)
        let values = solutions.rounds.map { $0[index] }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.map { Float($0 - mean) }
    }

    /// The same standings without what only a refit needs.
    public var withoutSolutions: Leaderboard { Leaderboard(entries: entries, byItem: byItem) }

    /// Inlinable so the gateway's lookups, on every read, are specialized to its item type.
    @inlinable public subscript(item: Item) -> BradleyTerry.Standing? { byItem[item].map { entries[$0].standing } }

    /// Fits `counts` (with bootstrap intervals) into a leaderboard, on background threads at `priority`,
    /// starting from `previous` (an earlier fit of the same counts' items, fewer votes) where given.
    /// Empty when cancelled part way.
    public static func fit(
        _ counts: PairCounts<Item>, configuration: BradleyTerry.Configuration, previous: Leaderboard? = nil,
        priority: BackgroundThreads.Priority = .low
    ) async -> Leaderboard {
        let (standings, solutions) = await BradleyTerry.refit(
            ComparisonGraph(counts), configuration: configuration, previous: previous?.solutions, priority: priority)
        let entries = standings.map { Entry(item: counts.items[Int($0.item)], standing: $0) }
        return Leaderboard(entries: entries.sorted { $0.standing.position < $1.standing.position }, solutions: solutions)
    }
}

extension Leaderboard where Item == MovieID {
    /// The film board of `counts`, films fitted as teams (`FilmTeams`), with intervals from `sets` (the set
    /// board of the same counts, with its bootstrap rounds), starting from `previous` where given.
    public static func fitFilms(
        _ counts: BradleyTerryCounts, sets: Leaderboard<SetID>, previous: Leaderboard? = nil,
        priority: BackgroundThreads.Priority = .low
    ) async -> Leaderboard {
        let (standings, solutions) = await FilmTeams.refit(counts, sets: sets.solutions, previous: previous?.solutions, priority: priority)
        let entries = standings.map { Entry(item: counts.films[Int($0.item)], standing: $0) }
        return Leaderboard(entries: entries.sorted { $0.standing.position < $1.standing.position }, solutions: solutions)
    }
}
