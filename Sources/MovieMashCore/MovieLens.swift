import Foundation

/// MovieLens-100k (recbole's atomic files `ml-100k.inter` and `ml-100k.item`) as MovieMash events.
///
/// - Films: one `MovieCatalogued` per item: slug from the title plus `-ml` and the item id (titles repeat),
///   `letterboxdID` = item id, year when given, genres from `class` (without `unknown`), no directors.
/// - Sets: one `Top4SetScraped` per user `ml_NNN`: their four highest-rated films, ties broken by the
///   earliest rating, then the smaller item id; `scrapedAt` is the user's last rating.
/// - Voters: one `UserRegistered` per user `ml_user_NNN`, with a bcrypt-shaped hash drawn from the seed
///   that is the hash of no password (these accounts cannot log in).
/// - Votes: `votesPerVoter` rounds; in each, every user in id order votes once on a pair of two other
///   users' sets drawn at random: the set whose films the voter rated higher on average (over the films of
///   it they rated) wins. A pair where the voter rated no film of a set, or where the averages tie, is
///   drawn again (at most 100 times, then that vote is skipped). Set order is the order drawn.
/// - Ids and times: every event id, vote id and ticket id comes from one `SplitMix64(seed)` in event order;
///   events are one second apart, starting a day after the last rating. Same files and seed, same events.
public struct MovieLens: Sendable {
    public struct Rating: Sendable, Equatable {
        public var user: Int
        public var item: Int
        public var rating: Double
        public var timestamp: Int64
    }

    public struct Item: Sendable, Equatable {
        public var id: Int
        public var title: String
        public var year: Int?
        public var genres: [String]
    }

    public let ratings: [Rating]
    public let items: [Item]

    /// The ratings with users and items numbered from 0 in order of first appearance (as matrix indices).
    public var denseRatings: (ratings: [(user: Int, item: Int, rating: Float)], users: Int, items: Int) {
        var users: [Int: Int] = [:], items: [Int: Int] = [:]
        let dense = ratings.map { rating in
            let user = users[rating.user] ?? users.count, item = items[rating.item] ?? items.count
            users[rating.user] = user
            items[rating.item] = item
            return (user: user, item: item, rating: Float(rating.rating))
        }
        return (dense, users.count, items.count)
    }

    /// Reads `ml-100k.inter` and `ml-100k.item` from `directory`.
    public init(directory: String) throws(MovieLensError) {
        func text(_ name: String) throws(MovieLensError) -> String {
            let file = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file) else { throw MovieLensError("cannot read \(file)") }
            return String(decoding: data, as: UTF8.self)
        }
        try self.init(interactions: try text("ml-100k.inter"), items: try text("ml-100k.item"))
    }

    /// Parses the two files' text; a malformed line is an error naming its file and line.
    public init(interactions: String, items itemText: String) throws(MovieLensError) {
        var ratings: [Rating] = []
        for (number, fields) in try Self.rows(interactions, file: "ml-100k.inter", header: ["user_id", "item_id", "rating", "timestamp"]) {
            guard let user = Int(fields[0]), let item = Int(fields[1]), let rating = Double(fields[2]),
                  let timestamp = Double(fields[3]).map({ Int64($0) })
            else { throw MovieLensError("ml-100k.inter line \(number): expected user, item, rating, timestamp numbers") }
            ratings.append(Rating(user: user, item: item, rating: rating, timestamp: timestamp))
        }
        var items: [Item] = []
        for (number, fields) in try Self.rows(itemText, file: "ml-100k.item", header: ["item_id", "movie_title", "release_year", "class"]) {
            guard let id = Int(fields[0]), id > 0 else { throw MovieLensError("ml-100k.item line \(number): bad item id '\(fields[0])'") }
            let title = fields[1].trimmingCharacters(in: .whitespaces)
            let genres = fields[3].split(separator: " ").map(String.init).filter { $0 != "unknown" }
            items.append(Item(id: id, title: title.isEmpty ? "Untitled \(id)" : title, year: Int(fields[2]), genres: genres))
        }
        let known = Set(items.map(\.id))
        if let stray = ratings.first(where: { !known.contains($0.item) }) {
            throw MovieLensError("ml-100k.inter rates item \(stray.item), which ml-100k.item does not list")
        }
        self.ratings = ratings
        self.items = items.sorted { $0.id < $1.id }
    }

    private static func rows(_ text: String, file: String, header: [String]) throws(MovieLensError) -> [(Int, [String])] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first,
              first.split(separator: "\t").map({ String($0.split(separator: ":").first ?? "") }) == header
        else { throw MovieLensError("\(file) does not start with the header \(header.joined(separator: ", "))") }
        return try lines.enumerated().dropFirst().map { (index, line) throws(MovieLensError) in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else {
                throw MovieLensError("\(file) line \(index + 1): \(fields.count) fields, expected \(header.count)")
            }
            return (index + 1, fields)
        }
    }

    static func slug(_ title: String, id: Int) -> String {
        var slug = ""
        for scalar in title.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        return String(slug.prefix(150)) + (slug.hasSuffix("-") || slug.isEmpty ? "" : "-") + "ml\(id)"
    }

    /// The events described above, in log order.
    public func events(votesPerVoter: Int, seed: UInt64) throws -> [EventEnvelope] {
        var random = SplitMix64(seed: seed)
        var events: [EventEnvelope] = []
        let start = (ratings.map(\.timestamp).max() ?? 0) * 1000 + 86_400_000
        func add(_ event: Event) {
            let time = Timestamp(milliseconds: start + Int64(events.count) * 1000)
            events.append(EventEnvelope(eventID: random.uuid(), occurredAt: time, event: event))
        }
        var slugs: [Int: MovieID] = [:]
        for item in items {
            let id = try MovieID(Self.slug(item.title, id: item.id))
            slugs[item.id] = id
            add(.movieCatalogued(try MovieCatalogued(
                movieID: id, letterboxdID: Int64(item.id), title: item.title, year: item.year, directors: [], genres: item.genres)))
        }
        let byUser = Dictionary(grouping: ratings, by: \.user)
        let users = byUser.keys.sorted()
        var sets: [Int: (id: SetID, films: [Int])] = [:]
        for user in users {
            let rated = byUser[user]!
            let favourites = rated.sorted { ($0.rating, -$0.timestamp, -$0.item) > ($1.rating, -$1.timestamp, -$1.item) }.prefix(4)
            guard favourites.count == 4 else { continue }
            let scraped = try Top4SetScraped(
                letterboxdUser: "ml_\(user)", movieIDs: favourites.map { slugs[$0.item]! },
                scrapedAt: Timestamp(milliseconds: rated.map(\.timestamp).max()! * 1000))
            sets[user] = (scraped.setID, favourites.map(\.item))
            add(.top4SetScraped(scraped))
        }
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var voterIDs: [Int: UserID] = [:]
        for user in users {
            let id = random.uuid()
            voterIDs[user] = id
            let hash = "$2b$12$" + String((0..<53).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            add(.userRegistered(try UserRegistered(userID: id, username: "ml_user_\(user)", passwordHash: hash)))
        }
        let owners = users.filter { sets[$0] != nil }
        let scores = byUser.mapValues { Dictionary($0.map { ($0.item, $0.rating) }, uniquingKeysWith: { $1 }) }
        for _ in 0..<votesPerVoter {
            for voter in users where owners.count >= 3 {
                let mine = scores[voter]!
                func mean(_ owner: Int) -> Double? {
                    let rated = sets[owner]!.films.compactMap { mine[$0] }
                    return rated.isEmpty ? nil : rated.reduce(0, +) / Double(rated.count)
                }
                for _ in 0..<100 {
                    let a = owners[Int(random.next() % UInt64(owners.count))]
                    let b = owners[Int(random.next() % UInt64(owners.count))]
                    guard a != b, a != voter, b != voter, let scoreA = mean(a), let scoreB = mean(b), scoreA != scoreB else { continue }
                    add(.voteCast(try VoteCast(
                        voteID: random.uuid(), userID: voterIDs[voter]!, setA: sets[a]!.id, setB: sets[b]!.id,
                        winner: scoreA > scoreB ? .setA : .setB, ticketID: random.uuid(),
                        castAt: Timestamp(milliseconds: start + Int64(events.count) * 1000))))
                    break
                }
            }
        }
        return events
    }
}

/// A MovieLens file that cannot be read.
public struct MovieLensError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
