import Foundation

/// MovieLens-100k (recbole's atomic files `ml-100k.inter` and `ml-100k.item`) as MovieMash events, made
/// readable for a demonstration (`films` is the cleaned catalogue):
///
/// - Films: titles in natural order ("Godfather, The" → "The Godfather", "Horseman on the Roof, The
///   (Hussard sur le toit, Le)" → "The Horseman on the Roof (Le Hussard sur le toit)"); an entry without a
///   usable title ("unknown", MovieLens's "unkonwn") is dropped with its ratings; entries of one film under
///   two ids (same natural title and year) are merged into the smaller id, a user's ratings of both counting
///   once (the higher, then the earlier). One `MovieCatalogued` per film, `source` movielens: slug from the
///   title plus `-ml` and the item id, `letterboxdID` = item id, year when given, genres from `class`
///   (without `unknown`), no directors.
/// - Sets: one `Top4SetScraped` per user, owned by an invented readable name (`ownerName`: a first name
///   and a film word, unique per user, such as `agnes_matinee`): their four highest-rated films, ties
///   broken by the earliest rating, then the smaller item id; `scrapedAt` is the user's last rating.
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

    /// The catalogue as imported: usable films with natural titles, duplicates merged, and every rating
    /// of a kept film under its film's id (one per user and film).
    public var films: (items: [Item], ratings: [Rating]) {
        var kept: [Item] = [], canonical: [Int: Int] = [:], byKey: [String: Int] = [:]
        for item in items {
            guard let title = Self.naturalTitle(item.title) else { continue }
            let key = "\(title.lowercased())|\(item.year.map(String.init) ?? "")"
            if let first = byKey[key] {
                canonical[item.id] = first
                continue
            }
            byKey[key] = item.id
            canonical[item.id] = item.id
            kept.append(Item(id: item.id, title: title, year: item.year, genres: item.genres))
        }
        var best: [Int64: Rating] = [:]
        var order: [Int64] = []
        for var rating in ratings {
            guard let film = canonical[rating.item] else { continue }
            rating.item = film
            let key = Int64(rating.user) << 32 | Int64(film)
            if let earlier = best[key] {
                if (rating.rating, -rating.timestamp) > (earlier.rating, -earlier.timestamp) { best[key] = rating }
            } else {
                best[key] = rating
                order.append(key)
            }
        }
        return (kept, order.map { best[$0]! })
    }

    /// "Godfather, The" → "The Godfather", also inside a trailing "(alternative title)"; nil for a title that
    /// names no film ("unknown", "unkonwn", neither letters nor digits; "8 1/2" and "187" are films).
    static func naturalTitle(_ raw: String) -> String? {
        let title = raw.trimmingCharacters(in: .whitespaces)
        guard title.contains(where: { $0.isLetter || $0.isNumber }), !["unknown", "unkonwn"].contains(title.lowercased()) else { return nil }
        if title.hasSuffix(")"), let open = title.lastIndex(of: "("), open > title.startIndex {
            let main = title[..<open].trimmingCharacters(in: .whitespaces)
            let alternative = String(title[title.index(after: open)..<title.index(before: title.endIndex)])
            return "\(articleFirst(main)) (\(articleFirst(alternative)))"
        }
        return articleFirst(title)
    }

    private static let articles: Set<String> = ["The", "A", "An", "La", "Le", "Les", "L'", "Il", "El", "Lo", "Los", "Las", "Der", "Die", "Das", "Det", "Den"]

    /// "Boot, Das" → "Das Boot"; "Apartement, L'" → "L'Apartement".
    private static func articleFirst(_ title: String) -> String {
        guard let comma = title.range(of: ", ", options: .backwards) else { return title }
        let article = String(title[comma.upperBound...])
        guard articles.contains(article) else { return title }
        let rest = title[..<comma.lowerBound]
        return article.hasSuffix("'") ? article + rest : "\(article) \(rest)"
    }

    private static let firstNames = [
        "ada", "agnes", "akira", "alice", "bela", "billie", "bruno", "carmen", "chantal", "claire", "dario", "delphine",
        "edith", "elio", "farah", "federico", "frances", "greta", "hal", "ida", "ingmar", "jean", "jules", "kira",
        "lena", "luis", "marcel", "margot", "mira", "nora", "orson", "pablo", "paz", "rosa", "satyajit", "sofia",
        "tilda", "ulla", "vera", "wim",
    ]
    private static let filmWords = [
        "matinee", "reel", "noir", "montage", "closeup", "dolly", "fadeout", "frame", "marquee", "premiere",
        "projector", "screening", "sequel", "splice", "storyboard", "takes", "tracking", "widescreen", "zoom",
        "cutaway", "dissolve", "encore", "flicker", "lens", "popcorn",
    ]

    /// An invented, readable Letterboxd-style name for MovieLens user `user`, different for every user id
    /// up to 1,000 (MovieLens-100k has 943); beyond, the id is appended.
    public static func ownerName(_ user: Int) -> String {
        let index = user - 1
        let name = "\(firstNames[index % firstNames.count])_\(filmWords[(index / firstNames.count) % filmWords.count])"
        return index < firstNames.count * filmWords.count ? name : "\(name)\(user)"
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
        let (kept, keptRatings) = films
        var slugs: [Int: MovieID] = [:]
        for item in kept {
            let id = try MovieID(Self.slug(item.title, id: item.id))
            slugs[item.id] = id
            add(.movieCatalogued(try MovieCatalogued(
                movieID: id, letterboxdID: Int64(item.id), title: item.title, year: item.year, directors: [], genres: item.genres,
                source: .movielens)))
        }
        let byUser = Dictionary(grouping: keptRatings, by: \.user)
        let users = byUser.keys.sorted()
        var sets: [Int: (id: SetID, films: [Int])] = [:]
        for user in users {
            let rated = byUser[user]!
            let favourites = rated.sorted { ($0.rating, -$0.timestamp, -$0.item) > ($1.rating, -$1.timestamp, -$1.item) }.prefix(4)
            guard favourites.count == 4 else { continue }
            let scraped = try Top4SetScraped(
                letterboxdUser: Self.ownerName(user), movieIDs: favourites.map { slugs[$0.item]! },
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
