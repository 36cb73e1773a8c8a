import Recommender
import MovieMashCore

/// The comparisons Bradley–Terry fits: votes between sets, and between films (each film of the winning
/// set beat each different film of the losing set). The fit itself runs in the background
/// (`Leaderboard.fit`), from a snapshot of these counts.
public struct BradleyTerryCounts: Projector {
    public static let name = "bradley-terry"
    public static let version: UInt32 = 1
    /// Only the background fit reads the counts, every few seconds, and copying millions of film pairs 20
    /// times a second took more CPU than the votes: published once a second.
    public static let publishInterval: Duration = .seconds(1)

    public let configuration: BradleyTerry.Configuration
    public private(set) var sets = PairCounts<SetID>()
    public private(set) var films = PairCounts<MovieID>()
    /// Four film indices per set index, -1 while unknown.
    private var setFilms: [Int32] = []
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
            for (slot, film) in scraped.movieIDs.enumerated() { setFilms[4 * set + slot] = films.intern(film) }
        case .voteCast(let vote):
            let winner = internSet(vote.winningSet), loser = internSet(vote.losingSet)
            sets.record(winner: Int32(winner), loser: Int32(loser))
            votes += 1
            let winning = setFilms[(4 * winner)..<(4 * winner + 4)], losing = setFilms[(4 * loser)..<(4 * loser + 4)]
            guard winning.allSatisfy({ $0 >= 0 }), losing.allSatisfy({ $0 >= 0 }) else { return }
            for w in winning {
                for l in losing where w != l { films.record(winner: w, loser: l) }
            }
        case .movieCatalogued, .userRegistered, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed:
            break
        }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: votes)
        sets.encode(into: &writer) { set, writer in set.write(to: &writer) }
        films.encode(into: &writer) { film, writer in writer.write(film.slug) }
        for film in setFilms { writer.write(film) }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        votes = Int(try reader.uint64())
        try sets.decode(from: &reader) { reader throws(SnapshotError) in try SetID.read(from: &reader) }
        try films.decode(from: &reader) { reader throws(SnapshotError) in
            let slug = try reader.string()
            do { return try MovieID(slug) } catch { throw SnapshotError("bad film id '\(slug)'") }
        }
        setFilms = []
        for _ in 0..<(4 * sets.items.count) { setFilms.append(try reader.int32()) }
        guard setFilms.allSatisfy({ $0 < films.items.count }) else { throw SnapshotError("a set names an unknown film") }
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
