import Foundation

/// A film's metadata as scraped from Letterboxd. Schema version 2: `year` may be absent (films announced
/// without a release year); version 1 required it and is upcast on decoding.
public struct MovieCatalogued: Hashable, Sendable, Codable {
    public var movieID: MovieID
    public var letterboxdID: Int64
    public var title: String
    public var year: Int?
    public var directors: [String]
    public var genres: [String]

    public init(
        movieID: MovieID, letterboxdID: Int64, title: String, year: Int?, directors: [String], genres: [String]
    ) throws(EventValidationError) {
        guard letterboxdID > 0 else { throw EventValidationError(field: "letterboxdID", reason: "must be positive") }
        try Validate.text(title, field: "title", maximum: 500)
        if let year, !(1870...2200).contains(year) {
            throw EventValidationError(field: "year", reason: "\(year) is not between 1870 and 2200")
        }
        try Validate.names(directors, field: "directors")
        try Validate.names(genres, field: "genres")
        self.movieID = movieID
        self.letterboxdID = letterboxdID
        self.title = title
        self.year = year
        self.directors = directors
        self.genres = genres
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case movieID, letterboxdID, title, year, directors, genres }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            movieID: c.decode(MovieID.self, forKey: .movieID), letterboxdID: c.decode(Int64.self, forKey: .letterboxdID),
            title: c.decode(String.self, forKey: .title), year: c.decodeIfPresent(Int.self, forKey: .year),
            directors: c.decode([String].self, forKey: .directors), genres: c.decode([String].self, forKey: .genres))
    }
}

/// A Letterboxd user's four favourite films, in profile order, as seen at `scrapedAt`.
public struct Top4SetScraped: Hashable, Sendable, Codable {
    public var setID: SetID
    public var letterboxdUser: String
    public var movieIDs: [MovieID]
    public var scrapedAt: Timestamp

    /// Derives `setID` from the owner and films.
    public init(letterboxdUser: String, movieIDs: [MovieID], scrapedAt: Timestamp) throws(EventValidationError) {
        try self.init(
            setID: SetID(owner: letterboxdUser, movies: movieIDs), letterboxdUser: letterboxdUser,
            movieIDs: movieIDs, scrapedAt: scrapedAt)
    }

    /// Checks that `setID` is the one derived from owner and films, so a set id can never be forged.
    public init(setID: SetID, letterboxdUser: String, movieIDs: [MovieID], scrapedAt: Timestamp) throws(EventValidationError) {
        try Validate.username(letterboxdUser, field: "letterboxdUser", lengths: 1...40, extra: "_")
        guard movieIDs.count == 4, Set(movieIDs).count == 4 else {
            throw EventValidationError(field: "movieIDs", reason: "a top-4 set has exactly four different films")
        }
        guard setID == SetID(owner: letterboxdUser, movies: movieIDs) else {
            throw EventValidationError(field: "setID", reason: "\(setID) is not derived from the owner and films")
        }
        self.setID = setID
        self.letterboxdUser = letterboxdUser
        self.movieIDs = movieIDs
        self.scrapedAt = scrapedAt
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case setID, letterboxdUser, movieIDs, scrapedAt }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            setID: c.decode(SetID.self, forKey: .setID), letterboxdUser: c.decode(String.self, forKey: .letterboxdUser),
            movieIDs: c.decode([MovieID].self, forKey: .movieIDs), scrapedAt: c.decode(Timestamp.self, forKey: .scrapedAt))
    }
}

/// A MovieMash account was created. Carries a bcrypt hash, never a password; analysts never see it.
public struct UserRegistered: Hashable, Sendable, Codable {
    public var userID: UserID
    public var username: String
    public var passwordHash: String

    public init(userID: UserID, username: String, passwordHash: String) throws(EventValidationError) {
        try Validate.username(username, field: "username", lengths: 3...32, extra: "_.-")
        guard Validate.isBcrypt(passwordHash) else {
            throw EventValidationError(field: "passwordHash", reason: "is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)")
        }
        self.userID = userID
        self.username = username
        self.passwordHash = passwordHash
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case userID, username, passwordHash }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            userID: c.decode(UUID.self, forKey: .userID), username: c.decode(String.self, forKey: .username),
            passwordHash: c.decode(String.self, forKey: .passwordHash))
    }
}

/// A voter preferred one of two sets, spending the ticket that offered them the pair.
public struct VoteCast: Hashable, Sendable, Codable {
    /// Which side of the pair won.
    public enum Side: String, Hashable, Sendable, Codable {
        case setA
        case setB
    }

    public var voteID: VoteID
    public var userID: UserID
    public var setA: SetID
    public var setB: SetID
    public var winner: Side
    public var ticketID: TicketID
    public var castAt: Timestamp

    public init(
        voteID: VoteID, userID: UserID, setA: SetID, setB: SetID, winner: Side, ticketID: TicketID, castAt: Timestamp
    ) throws(EventValidationError) {
        guard setA != setB else { throw EventValidationError(field: "setB", reason: "a set cannot be compared with itself") }
        self.voteID = voteID
        self.userID = userID
        self.setA = setA
        self.setB = setB
        self.winner = winner
        self.ticketID = ticketID
        self.castAt = castAt
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case voteID, userID, setA, setB, winner, ticketID, castAt }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            voteID: c.decode(UUID.self, forKey: .voteID), userID: c.decode(UUID.self, forKey: .userID),
            setA: c.decode(SetID.self, forKey: .setA), setB: c.decode(SetID.self, forKey: .setB),
            winner: c.decode(Side.self, forKey: .winner), ticketID: c.decode(UUID.self, forKey: .ticketID),
            castAt: c.decode(Timestamp.self, forKey: .castAt))
    }

    /// The winning set.
    public var winningSet: SetID { winner == .setA ? setA : setB }
    /// The losing set.
    public var losingSet: SetID { winner == .setA ? setB : setA }
}

enum Validate {
    static func text(_ value: String, field: String, maximum: Int) throws(EventValidationError) {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw EventValidationError(field: field, reason: "must not be empty")
        }
        guard value.count <= maximum else {
            throw EventValidationError(field: field, reason: "is longer than \(maximum) characters")
        }
    }

    static func names(_ values: [String], field: String) throws(EventValidationError) {
        guard values.count <= 50 else { throw EventValidationError(field: field, reason: "has more than 50 entries") }
        for value in values { try text(value, field: field, maximum: 200) }
    }

    static func username(_ value: String, field: String, lengths: ClosedRange<Int>, extra: String) throws(EventValidationError) {
        let allowed = Set(extra.utf8)
        guard lengths.contains(value.utf8.count), value.utf8.allSatisfy({
            (97...122).contains($0) || (65...90).contains($0) || (48...57).contains($0) || allowed.contains($0)
        }) else {
            throw EventValidationError(
                field: field, reason: "'\(value)' must be \(lengths.lowerBound)–\(lengths.upperBound) letters, digits or \(extra)")
        }
    }

    static func isBcrypt(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 60, bytes[0] == 36, bytes[1] == 50, [97, 98, 121].contains(bytes[2]), bytes[3] == 36,
              (48...57).contains(bytes[4]), (48...57).contains(bytes[5]), bytes[6] == 36
        else { return false }
        return bytes[7...].allSatisfy {
            (97...122).contains($0) || (65...90).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 47
        }
    }
}

/// Rejects JSON objects with keys the schema does not define, as the JSON Schemas do
/// (`additionalProperties: false`): a misspelt field must not silently vanish.
enum StrictKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func check<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, allowed: Keys.Type) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: container, debugDescription: "unknown field '\(unknown.stringValue)'")
        }
    }
}
