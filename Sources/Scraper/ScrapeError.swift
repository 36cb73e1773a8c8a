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

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
