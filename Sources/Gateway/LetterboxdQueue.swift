import MovieMashCore

/// Where the gateway sends requests to fetch a Letterboxd profile: the writer's scrape service, which
/// the server wires in when it scrapes. The gateway knows no scraper; it asks and reports.
public protocol LetterboxdQueue: Sendable {
    /// `voter` asks for the profile `username` (lowercase) to be fetched.
    func request(_ username: String, by voter: UserID) async -> LetterboxdRequestDecision
    /// The profile's state as the service knows it; nil when it does not know the profile.
    func state(of username: String) async -> LetterboxdProfileState?
}

/// What became of a request.
public enum LetterboxdRequestDecision: Sendable, Equatable {
    /// Queued, being fetched, or fetched so recently that it is not fetched again.
    case accepted
    /// This voter asked for too many profiles lately.
    case voterLimit(retryAfter: Duration)
    /// Everyone together asked for too many, or the queue is full.
    case busy(retryAfter: Duration)
}

/// A profile's state in the scrape service.
public struct LetterboxdProfileState: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case queued
        case fetching
        case fetched
        case fewerThanFour = "fewer-than-four"
        case privateProfile = "private"
        case notFound = "not-found"
        /// Letterboxd answered with a challenge page: the service pauses, the request waits.
        case blocked
        /// The fetch failed (network, Letterboxd errors); it is tried again later.
        case failed
    }

    public var phase: Phase
    /// Where a queued request waits (1 is next).
    public var place: Int?
    /// With `fewerThanFour`: how many favourites the profile shows.
    public var favourites: Int?
    /// When the profile was last read.
    public var fetchedAt: Timestamp?
    /// When the service fetches again after a challenge page.
    public var pausedUntil: Timestamp?

    public init(phase: Phase, place: Int? = nil, favourites: Int? = nil, fetchedAt: Timestamp? = nil, pausedUntil: Timestamp? = nil) {
        self.phase = phase
        self.place = place
        self.favourites = favourites
        self.fetchedAt = fetchedAt
        self.pausedUntil = pausedUntil
    }
}
