import Foundation

/// The kinds of event in the catalogue, with their stable binary tags and newest schema versions.
public enum EventType: String, CaseIterable, Hashable, Sendable, Codable {
    case movieCatalogued = "MovieCatalogued"
    case top4SetScraped = "Top4SetScraped"
    case userRegistered = "UserRegistered"
    case voteCast = "VoteCast"
    case passwordChanged = "PasswordChanged"
    case signedOut = "SignedOut"
    case userErased = "UserErased"
    case letterboxdClaimed = "LetterboxdClaimed"

    /// The byte that names the type in the binary encoding; never reused.
    public var tag: UInt8 {
        switch self {
        case .movieCatalogued: 1
        case .top4SetScraped: 2
        case .userRegistered: 3
        case .voteCast: 4
        case .passwordChanged: 5
        case .signedOut: 6
        case .userErased: 7
        case .letterboxdClaimed: 8
        }
    }

    /// The newest schema version of this type.
    public var currentSchemaVersion: Int {
        switch self {
        case .movieCatalogued: 3
        case .userRegistered: 2
        case .top4SetScraped, .voteCast, .passwordChanged, .signedOut, .userErased, .letterboxdClaimed: 1
        }
    }

    /// Every schema version this build can read (older ones are upcast).
    public var readableSchemaVersions: ClosedRange<Int> { 1...currentSchemaVersion }

    public init?(tag: UInt8) {
        guard let type = Self.allCases.first(where: { $0.tag == tag }) else { return nil }
        self = type
    }
}

/// One fact of the catalogue.
public enum Event: Hashable, Sendable {
    case movieCatalogued(MovieCatalogued)
    case top4SetScraped(Top4SetScraped)
    case userRegistered(UserRegistered)
    case voteCast(VoteCast)
    case passwordChanged(PasswordChanged)
    case signedOut(SignedOut)
    case userErased(UserErased)
    case letterboxdClaimed(LetterboxdClaimed)

    public var type: EventType {
        switch self {
        case .movieCatalogued: .movieCatalogued
        case .top4SetScraped: .top4SetScraped
        case .userRegistered: .userRegistered
        case .voteCast: .voteCast
        case .passwordChanged: .passwordChanged
        case .signedOut: .signedOut
        case .userErased: .userErased
        case .letterboxdClaimed: .letterboxdClaimed
        }
    }

    /// The schema version this event is written with: its type's newest, except that a `UserRegistered`
    /// with readable fields keeps version 1 (version 2 is the sealed shape).
    public var schemaVersion: Int {
        if case .userRegistered(let e) = self { return e.schemaVersion }
        return type.currentSchemaVersion
    }
}

/// An event with its envelope: identity, time, and (once in the log) position.
///
/// In JSON: `{"position", "eventID", "type", "schemaVersion", "occurredAt", "payload"}`; `schemaVersion`
/// is the version of the payload shape shown, which after an upcast is the current one.
public struct EventEnvelope: Hashable, Sendable, Codable {
    /// Assigned by the log; nil before the event is appended.
    public var position: UInt64?
    /// The idempotency key: the same id is never stored twice.
    public var eventID: UUID
    public var occurredAt: Timestamp
    public var event: Event

    public init(position: UInt64? = nil, eventID: UUID = .random(), occurredAt: Timestamp, event: Event) {
        self.position = position
        self.eventID = eventID
        self.occurredAt = occurredAt
        self.event = event
    }

    public var type: EventType { event.type }
    public var schemaVersion: Int { event.schemaVersion }

    private enum CodingKeys: String, CodingKey, CaseIterable { case position, eventID, type, schemaVersion, occurredAt, payload }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let typeName = try c.decode(String.self, forKey: .type)
        guard let type = EventType(rawValue: typeName) else { throw EventCodingError.unknownType(typeName) }
        let version = try c.decode(Int.self, forKey: .schemaVersion)
        try EventCodingError.check(type, version: version)
        position = try c.decodeIfPresent(UInt64.self, forKey: .position)
        eventID = try c.decode(UUID.self, forKey: .eventID)
        occurredAt = try c.decode(Timestamp.self, forKey: .occurredAt)
        switch type {
        case .movieCatalogued:
            switch version {
            case 1: event = .movieCatalogued(try c.decode(MovieCataloguedV1.self, forKey: .payload).upcast())
            case 2: event = .movieCatalogued(try c.decode(MovieCataloguedV2.self, forKey: .payload).event)
            default: event = .movieCatalogued(try c.decode(MovieCatalogued.self, forKey: .payload))
            }
        case .top4SetScraped: event = .top4SetScraped(try c.decode(Top4SetScraped.self, forKey: .payload))
        case .userRegistered:
            event = .userRegistered(version == 1
                ? try c.decode(UserRegisteredV1.self, forKey: .payload).event
                : try c.decode(UserRegisteredV2.self, forKey: .payload).event)
        case .voteCast: event = .voteCast(try c.decode(VoteCast.self, forKey: .payload))
        case .passwordChanged: event = .passwordChanged(try c.decode(PasswordChanged.self, forKey: .payload))
        case .signedOut: event = .signedOut(try c.decode(SignedOut.self, forKey: .payload))
        case .userErased: event = .userErased(try c.decode(UserErased.self, forKey: .payload))
        case .letterboxdClaimed: event = .letterboxdClaimed(try c.decode(LetterboxdClaimed.self, forKey: .payload))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(position, forKey: .position)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(type.rawValue, forKey: .type)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(occurredAt, forKey: .occurredAt)
        switch event {
        case .movieCatalogued(let payload): try c.encode(payload, forKey: .payload)
        case .top4SetScraped(let payload): try c.encode(payload, forKey: .payload)
        case .userRegistered(let payload): try c.encode(payload, forKey: .payload)
        case .voteCast(let payload): try c.encode(payload, forKey: .payload)
        case .passwordChanged(let payload): try c.encode(payload, forKey: .payload)
        case .signedOut(let payload): try c.encode(payload, forKey: .payload)
        case .userErased(let payload): try c.encode(payload, forKey: .payload)
        case .letterboxdClaimed(let payload): try c.encode(payload, forKey: .payload)
        }
    }
}

/// `MovieCatalogued` as schema version 1 wrote it: `year` was required.
struct MovieCataloguedV1: Decodable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case movieID, letterboxdID, title, year, directors, genres }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        movieID = try c.decode(MovieID.self, forKey: .movieID)
        letterboxdID = try c.decode(Int64.self, forKey: .letterboxdID)
        title = try c.decode(String.self, forKey: .title)
        year = try c.decode(Int.self, forKey: .year)
        directors = try c.decode([String].self, forKey: .directors)
        genres = try c.decode([String].self, forKey: .genres)
    }

    var movieID: MovieID
    var letterboxdID: Int64
    var title: String
    var year: Int
    var directors: [String]
    var genres: [String]

    func upcast() throws(EventValidationError) -> MovieCatalogued {
        try MovieCatalogued(
            movieID: movieID, letterboxdID: letterboxdID, title: title, year: year, directors: directors, genres: genres)
    }
}

/// `MovieCatalogued` as schema version 2 wrote it: no `poster` or `source` (a Letterboxd film).
struct MovieCataloguedV2: Decodable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case movieID, letterboxdID, title, year, directors, genres }

    let event: MovieCatalogued

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.self)
        event = try MovieCatalogued(from: decoder)
    }
}

/// Why bytes or JSON are not an event this build can read.
public enum EventCodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownType(String)
    case unsupportedSchemaVersion(type: EventType, version: Int, newest: Int)
    case malformed(type: EventType?, reason: String)
    case invalid(type: EventType, EventValidationError)

    public var description: String {
        switch self {
        case .unknownType(let name):
            "unknown event type '\(name)': this build knows \(EventType.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .unsupportedSchemaVersion(type, version, newest):
            version > newest
                ? "\(type.rawValue) schema version \(version) is newer than this build reads (up to \(newest)); upgrade MovieMash"
                : "\(type.rawValue) schema version \(version) does not exist (versions start at 1)"
        case let .malformed(type, reason): "malformed \(type?.rawValue ?? "event"): \(reason)"
        case let .invalid(type, error): "invalid \(type.rawValue): \(error)"
        }
    }

    static func check(_ type: EventType, version: Int) throws(EventCodingError) {
        guard type.readableSchemaVersions.contains(version) else {
            throw .unsupportedSchemaVersion(type: type, version: version, newest: type.currentSchemaVersion)
        }
    }
}
