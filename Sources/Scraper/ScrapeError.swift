import ByteCoding
/// Why a page gave no (or only part of a) result. Codes are a struct so new ones do not break callers.
public struct ScrapeError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The page does not exist (HTTP 404, or Letterboxd's "page not found").
        public static let notFound = Code(name: "not found")
        /// A Cloudflare challenge or captcha page instead of the content: stop, do not retry at once.
        public static let blocked = Code(name: "blocked")
        /// A profile whose owner hides it.
        public static let privateProfile = Code(name: "private profile")
        /// Not a film page (a list, a person, a TV show…).
        public static let notAFilm = Code(name: "not a film")
        /// The page is there but lacks what we need.
        public static let malformed = Code(name: "malformed")
        /// robots.txt forbids the path.
        public static let disallowed = Code(name: "disallowed by robots.txt")
        /// Fetching failed (network, HTTP status, retries exhausted).
        public static let fetch = Code(name: "fetch failed")
    }

    public var code: Code
    public var message: String
    /// The error this one explains (the HTTP client's, a decoder's, an event's validation), if any.
    public var cause: (any Error & Sendable)?
    /// Where in MovieMash's source it was raised.
    public var location: SourceLocation

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        location = SourceLocation(fileID: fileID, line: line)
    }

    /// Equal when they say the same (not the cause or where it was raised).
    public static func == (left: ScrapeError, right: ScrapeError) -> Bool { left.code == right.code && left.message == right.message }

    public var description: String { "\(code): \(message)" }
}
