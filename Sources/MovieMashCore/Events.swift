import Foundation

/// A film's metadata, as scraped from Letterboxd or taken from a dataset imported for a demonstration.
/// Schema version 3 adds `poster` (the film page's JSON-LD `image`) and `source`; version 2 let `year` be
/// absent (films announced without a release year); older versions are upcast on decoding (no poster,
/// source Letterboxd, year kept).
public struct MovieCatalogued: Hashable, Sendable, Codable {
    /// Where the metadata came from: only a Letterboxd film has a page at `letterboxd.com/film/SLUG/`.
    public enum Source: String, Hashable, Sendable, Codable, CaseIterable {
        case letterboxd
        /// MovieLens-100k (`moviemash import movielens`): invented slugs and ids, no Letterboxd page.
        case movielens

        /// Its byte in the binary encoding; never reused.
        var code: UInt64 { self == .letterboxd ? 0 : 1 }
    }

    public var movieID: MovieID
    public var letterboxdID: Int64
    public var title: String
    public var year: Int?
    public var directors: [String]
    public var genres: [String]
    /// An https URL of the film's poster image, when the source gave one.
    public var poster: String?
    public var source: Source

    public init(
        movieID: MovieID, letterboxdID: Int64, title: String, year: Int?, directors: [String], genres: [String],
        poster: String? = nil, source: Source = .letterboxd
    ) throws(EventValidationError) {
        guard letterboxdID > 0 else { throw EventValidationError(field: "letterboxdID", reason: "must be positive") }
        try Validate.text(title, field: "title", maximum: 500)
        if let year, !(1870...2200).contains(year) {
            throw EventValidationError(field: "year", reason: "\(year) is not between 1870 and 2200")
        }
        try Validate.names(directors, field: "directors")
        try Validate.names(genres, field: "genres")
        if let poster, !Self.acceptsPoster(poster) {
            throw EventValidationError(field: "poster", reason: "must be an https URL of at most 2000 characters, without spaces")
        }
        self.movieID = movieID
        self.letterboxdID = letterboxdID
        self.title = title
        self.year = year
        self.directors = directors
        self.genres = genres
        self.poster = poster
        self.source = source
    }

    /// Whether `url` can be a poster: an absolute https URL of at most 2,000 characters, without white space
    /// or control characters.
    public static func acceptsPoster(_ url: String) -> Bool {
        url.hasPrefix("https://") && url.unicodeScalars.count > 8 && url.unicodeScalars.count <= 2000
            && url.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && !$0.properties.isWhitespace }
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case movieID, letterboxdID, title, year, directors, genres, poster, source }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            movieID: c.decode(MovieID.self, forKey: .movieID), letterboxdID: c.decode(Int64.self, forKey: .letterboxdID),
            title: c.decode(String.self, forKey: .title), year: c.decodeIfPresent(Int.self, forKey: .year),
            directors: c.decode([String].self, forKey: .directors), genres: c.decode([String].self, forKey: .genres),
            poster: c.decodeIfPresent(String.self, forKey: .poster),
            source: c.decodeIfPresent(Source.self, forKey: .source) ?? .letterboxd)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(movieID, forKey: .movieID)
        try c.encode(letterboxdID, forKey: .letterboxdID)
        try c.encode(title, forKey: .title)
        try c.encodeIfPresent(year, forKey: .year)
        try c.encode(directors, forKey: .directors)
        try c.encode(genres, forKey: .genres)
        try c.encodeIfPresent(poster, forKey: .poster)
        if source != .letterboxd { try c.encode(source, forKey: .source) }
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

/// A MovieMash account was created. Its personal fields (name, bcrypt hash) are sealed under the user's
/// key from schema version 2 on; version 1 carried them readable. Analysts never see them.
public struct UserRegistered: Hashable, Sendable, Encodable {
    public var userID: UserID
    public var personal: PersonalFields

    public init(userID: UserID, personal: PersonalFields) {
        self.userID = userID
        self.personal = personal
    }

    /// An account with readable fields (schema version 1): for synthetic accounts that are no person.
    public init(userID: UserID, username: String, passwordHash: String) throws(EventValidationError) {
        self.init(userID: userID, personal: .plain(try PersonalData(username: username, passwordHash: passwordHash)))
    }

    /// The schema version this event is written with: 1 while its fields are readable, 2 once sealed.
    public var schemaVersion: Int {
        if case .plain = personal { 1 } else { 2 }
    }

    private enum Keys: String, CodingKey { case userID, username, passwordHash, sealed }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(userID, forKey: .userID)
        switch personal {
        case .plain(let data):
            try c.encode(data.username, forKey: .username)
            try c.encode(data.passwordHash, forKey: .passwordHash)
        case .sealed(let sealed): try c.encode(sealed.base64, forKey: .sealed)
        }
    }
}

/// The version 1 payload: `{userID, username, passwordHash}`.
struct UserRegisteredV1: Decodable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case userID, username, passwordHash }
    let event: UserRegistered

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = try UserRegistered(
            userID: c.decode(UUID.self, forKey: .userID), username: c.decode(String.self, forKey: .username),
            passwordHash: c.decode(String.self, forKey: .passwordHash))
    }
}

/// The version 2 payload: `{userID, sealed}`, the personal fields sealed (base64).
struct UserRegisteredV2: Decodable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case userID, sealed }
    let event: UserRegistered

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = UserRegistered(
            userID: try c.decode(UUID.self, forKey: .userID),
            personal: .sealed(try SealedPersonalData(base64: c.decode(String.self, forKey: .sealed))))
    }
}

/// A voter changed their password: their personal fields sealed anew (same name, new hash). Every access
/// token signed before this event stops working.
public struct PasswordChanged: SealedUserEvent {
    public var userID: UserID
    public var sealed: SealedPersonalData

    public init(userID: UserID, sealed: SealedPersonalData) {
        self.userID = userID
        self.sealed = sealed
    }
}

/// An event that carries a user's id and something sealed under their key (`PasswordChanged`,
/// `LetterboxdClaimed`), with their one JSON shape: `{userID, sealed}`, the seal in base64.
public protocol SealedUserEvent: Hashable, Sendable, Codable {
    var userID: UserID { get }
    var sealed: SealedPersonalData { get }
    init(userID: UserID, sealed: SealedPersonalData)
}

private enum SealedUserCodingKeys: String, CodingKey, CaseIterable { case userID, sealed }

extension SealedUserEvent {
    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: SealedUserCodingKeys.self)
        let c = try decoder.container(keyedBy: SealedUserCodingKeys.self)
        self.init(userID: try c.decode(UUID.self, forKey: .userID), sealed: try SealedPersonalData(base64: c.decode(String.self, forKey: .sealed)))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SealedUserCodingKeys.self)
        try c.encode(userID, forKey: .userID)
        try c.encode(sealed.base64, forKey: .sealed)
    }
}

/// A voter signed out: the access token `tokenID` stops working (it would have expired at `expiresAt`).
public struct SignedOut: Hashable, Sendable, Codable {
    public var userID: UserID
    public var tokenID: UUID
    public var expiresAt: Timestamp

    public init(userID: UserID, tokenID: UUID, expiresAt: Timestamp) {
        self.userID = userID
        self.tokenID = tokenID
        self.expiresAt = expiresAt
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case userID, tokenID, expiresAt }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            userID: try c.decode(UUID.self, forKey: .userID), tokenID: try c.decode(UUID.self, forKey: .tokenID),
            expiresAt: try c.decode(Timestamp.self, forKey: .expiresAt))
    }
}

/// A voter erased their account. Their key is destroyed after this event is durable, so their personal
/// fields read as gone everywhere; their votes stay, tied to an id that names no one.
public struct UserErased: Hashable, Sendable, Codable {
    public var userID: UserID

    public init(userID: UserID) {
        self.userID = userID
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case userID }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userID: try c.decode(UUID.self, forKey: .userID))
    }
}

/// A voter claimed a Letterboxd profile as theirs: its set shows as "your four" to them. The name is sealed
/// under the voter's key like their other personal fields (it ties their votes to a public profile), so
/// erasure forgets the claim too. A later claim replaces an earlier one.
public struct LetterboxdClaimed: SealedUserEvent {
    public var userID: UserID
    public var sealed: SealedPersonalData

    public init(userID: UserID, sealed: SealedPersonalData) {
        self.userID = userID
        self.sealed = sealed
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
