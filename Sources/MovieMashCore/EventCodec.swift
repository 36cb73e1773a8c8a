import Foundation

/// The compact, versioned binary form of events stored in the log, and their JSON form for the API
/// and PostgreSQL. The envelope's id and time travel beside the bytes (the log stores them per record).
///
/// Binary layout (little-endian LEB128 varints; layout per type in `Schemas/event-encoding.md`):
/// type tag (1 byte), schema version (varint), then the payload's fields in schema order.
public enum EventCodec {
    /// The bytes of `event`, written with its type's current schema version.
    public static func encode(_ event: Event, occurredAt: Timestamp) -> [UInt8] {
        var w = FieldWriter()
        w.byte(event.type.tag)
        w.unsigned(UInt64(event.schemaVersion))
        switch event {
        case .movieCatalogued(let e):
            w.string(e.movieID.slug)
            w.unsigned(UInt64(e.letterboxdID))
            w.string(e.title)
            w.unsigned(e.year.map { UInt64($0) + 1 } ?? 0)
            w.strings(e.directors)
            w.strings(e.genres)
            w.string(e.poster ?? "")
            w.unsigned(e.source.code)
        case .top4SetScraped(let e):
            w.setID(e.setID)
            w.string(e.letterboxdUser)
            w.strings(e.movieIDs.map(\.slug))
            w.signed(e.scrapedAt.milliseconds &- occurredAt.milliseconds)
        case .userRegistered(let e):
            w.uuid(e.userID)
            switch e.personal {
            case .plain(let data):
                w.string(data.username)
                w.string(data.passwordHash)
            case .sealed(let sealed): w.data(sealed.bytes)
            }
        case .passwordChanged(let e):
            w.uuid(e.userID)
            w.data(e.sealed.bytes)
        case .signedOut(let e):
            w.uuid(e.userID)
            w.uuid(e.tokenID)
            w.signed(e.expiresAt.milliseconds &- occurredAt.milliseconds)
        case .userErased(let e):
            w.uuid(e.userID)
        case .letterboxdClaimed(let e):
            w.uuid(e.userID)
            w.data(e.sealed.bytes)
        case .voteCast(let e):
            w.uuid(e.voteID)
            w.uuid(e.userID)
            w.setID(e.setA)
            w.setID(e.setB)
            w.byte(e.winner == .setA ? 0 : 1)
            w.uuid(e.ticketID)
            w.signed(e.castAt.milliseconds &- occurredAt.milliseconds)
        }
        return w.bytes
    }

    /// Decodes bytes written by `encode` with any readable schema version, upcasting old versions.
    public static func decode(
        _ bytes: [UInt8], eventID: UUID, occurredAt: Timestamp, position: UInt64? = nil
    ) throws(EventCodingError) -> EventEnvelope {
        try bytes.withUnsafeBytes(typed: { raw throws(EventCodingError) in
            try decode(raw, eventID: eventID, occurredAt: occurredAt, position: position)
        })
    }

    /// Decodes an event where its bytes lie (a record visited in the log's own buffer): nothing is copied
    /// but the strings and ids the event keeps.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, eventID: UUID, occurredAt: Timestamp, position: UInt64? = nil
    ) throws(EventCodingError) -> EventEnvelope {
        var r = FieldReader(bytes: bytes, index: 0, type: nil)
        let tag = try r.byte()
        guard let type = EventType(tag: tag) else { throw .unknownType("tag \(tag)") }
        r = FieldReader(bytes: bytes, index: 1, type: type)
        let rawVersion = try r.unsigned()
        let version = Int(clamping: rawVersion)
        try EventCodingError.check(type, version: version)
        let event: Event
        do {
            switch type {
            case .movieCatalogued:
                let movieID = try MovieID(try r.string())
                let letterboxdID = try r.unsigned()
                let title = try r.string()
                let year: Int? = version == 1
                    ? Int(clamping: try r.unsigned())
                    : try r.unsigned().nonZero.map { Int(clamping: $0 - 1) }
                guard letterboxdID <= UInt64(Int64.max) else { throw r.failure("letterboxdID out of range") }
                let directors = try r.strings(), genres = try r.strings()
                var poster: String?, source = MovieCatalogued.Source.letterboxd
                if version >= 3 {
                    let text = try r.string()
                    poster = text.isEmpty ? nil : text
                    let code = try r.unsigned()
                    guard let known = MovieCatalogued.Source.allCases.first(where: { $0.code == code }) else {
                        throw r.failure("source \(code) is not known")
                    }
                    source = known
                }
                event = .movieCatalogued(try MovieCatalogued(
                    movieID: movieID, letterboxdID: Int64(letterboxdID), title: title, year: year,
                    directors: directors, genres: genres, poster: poster, source: source))
            case .top4SetScraped:
                let setID = try r.setID()
                let user = try r.string()
                let movies = try r.strings().map { slug throws(EventValidationError) in try MovieID(slug) }
                event = .top4SetScraped(try Top4SetScraped(
                    setID: setID, letterboxdUser: user, movieIDs: movies,
                    scrapedAt: Timestamp(milliseconds: occurredAt.milliseconds &+ (try r.signed()))))
            case .userRegistered:
                let userID = try r.uuid()
                event = .userRegistered(version == 1
                    ? try UserRegistered(userID: userID, username: try r.string(), passwordHash: try r.string())
                    : UserRegistered(userID: userID, personal: .sealed(try SealedPersonalData(try r.data()))))
            case .passwordChanged:
                event = .passwordChanged(PasswordChanged(userID: try r.uuid(), sealed: try SealedPersonalData(try r.data())))
            case .signedOut:
                event = .signedOut(SignedOut(
                    userID: try r.uuid(), tokenID: try r.uuid(),
                    expiresAt: Timestamp(milliseconds: occurredAt.milliseconds &+ (try r.signed()))))
            case .userErased:
                event = .userErased(UserErased(userID: try r.uuid()))
            case .letterboxdClaimed:
                event = .letterboxdClaimed(LetterboxdClaimed(userID: try r.uuid(), sealed: try SealedPersonalData(try r.data())))
            case .voteCast:
                let voteID = try r.uuid(), userID = try r.uuid(), setA = try r.setID(), setB = try r.setID()
                let side = try r.byte()
                guard side <= 1 else { throw r.failure("winner byte \(side) is neither 0 nor 1") }
                event = .voteCast(try VoteCast(
                    voteID: voteID, userID: userID, setA: setA, setB: setB, winner: side == 0 ? .setA : .setB,
                    ticketID: try r.uuid(),
                    castAt: Timestamp(milliseconds: occurredAt.milliseconds &+ (try r.signed()))))
            }
        } catch let error as EventValidationError {
            throw .invalid(type: type, error)
        } catch let error as EventCodingError {
            throw error
        } catch {
            throw .malformed(type: type, reason: "\(error)")
        }
        guard r.index == bytes.count else { throw r.failure("\(bytes.count - r.index) trailing bytes") }
        return EventEnvelope(position: position, eventID: eventID, occurredAt: occurredAt, event: event)
    }

    /// The envelope as one line of JSON (keys sorted, so equal events give equal bytes).
    public static func json(_ envelope: EventEnvelope) -> Data {
        var writer = JSONWriter()
        writer.envelope(envelope)
        return Data(writer.bytes)
    }

    /// The payload alone as JSON (keys sorted): the `payload` column of the PostgreSQL mirror.
    public static func payloadJSON(_ event: Event) -> Data {
        var writer = JSONWriter()
        writer.payload(event)
        return Data(writer.bytes)
    }

    /// Decodes an envelope from JSON, upcasting old schema versions; errors name what is wrong.
    public static func decodeJSON(_ data: Data) throws(EventCodingError) -> EventEnvelope {
        do {
            return try JSONDecoder().decode(EventEnvelope.self, from: data)
        } catch let error as EventCodingError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            throw .malformed(type: nil, reason: Self.describe(context, underlying: context.underlyingError))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformed(type: nil, reason: "missing '\(key.stringValue)' at \(path(context))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw .malformed(type: nil, reason: "expected \(type) at \(path(context))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw .malformed(type: nil, reason: "expected \(type), found null at \(path(context))")
        } catch {
            throw .malformed(type: nil, reason: "\(error)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the top level" : context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func describe(_ context: DecodingError.Context, underlying: (any Error)?) -> String {
        if let validation = underlying as? EventValidationError { return "\(validation) at \(path(context))" }
        return "\(context.debugDescription) at \(path(context))"
    }
}

extension UInt64 {
    fileprivate var nonZero: UInt64? { self == 0 ? nil : self }
}
