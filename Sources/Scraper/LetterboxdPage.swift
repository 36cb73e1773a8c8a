import Foundation
import MovieMashCore

/// A profile's favourite films, in page order (zero to four).
public struct ProfileFavourites: Sendable, Equatable {
    public struct Favourite: Sendable, Equatable {
        public var slug: String
        public var letterboxdID: Int64?
        public var title: String?
        public var year: Int?
    }

    public var username: String
    public var favourites: [Favourite]
}

/// What a film page says about the film.
public struct FilmMetadata: Sendable, Equatable {
    public var slug: String
    public var letterboxdID: Int64
    public var title: String
    public var year: Int?
    public var directors: [String]
    public var genres: [String]
    /// The poster image (JSON-LD `image`), when the page names an https one.
    public var poster: String?

    public init(slug: String, letterboxdID: Int64, title: String, year: Int?, directors: [String], genres: [String], poster: String? = nil) {
        self.slug = slug
        self.letterboxdID = letterboxdID
        self.title = title
        self.year = year
        self.directors = directors
        self.genres = genres
        self.poster = poster
    }

    /// Letterboxd's genres, spelled as it spells them: the only genres a film is catalogued with.
    public static let genres = [
        "Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Family", "Fantasy",
        "History", "Horror", "Music", "Mystery", "Romance", "Science Fiction", "Thriller", "TV Movie", "War",
        "Western",
    ]
    private static let genreByKey = Dictionary(uniqueKeysWithValues: genres.map { ($0.lowercased(), $0) })

    /// The metadata as it is catalogued: title and directors in Unicode NFC with runs of white space made
    /// one space and the ends trimmed (pages differ in both, so the same film would otherwise look
    /// changed); genres only from Letterboxd's list, in its spelling (an HTML page's "tv movie" is "TV
    /// Movie"), others dropped; duplicates dropped, first kept.
    public func normalized() -> FilmMetadata {
        var seenDirectors = Set<String>(), seenGenres = Set<String>()
        return FilmMetadata(
            slug: slug, letterboxdID: letterboxdID, title: Self.clean(title), year: year,
            directors: directors.map(Self.clean).filter { !$0.isEmpty && seenDirectors.insert($0).inserted },
            genres: genres.compactMap { Self.genreByKey[Self.clean($0).lowercased()] }.filter { seenGenres.insert($0).inserted },
            poster: poster.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { MovieCatalogued.acceptsPoster($0) ? $0 : nil })
    }

    static func clean(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The catalogue event for this film.
    public func event() throws(EventValidationError) -> MovieCatalogued {
        try MovieCatalogued(
            movieID: try MovieID(slug), letterboxdID: letterboxdID, title: title, year: year, directors: directors, genres: genres,
            poster: poster)
    }
}

/// Parsers for Letterboxd's pages: typed errors for pages that are not what was asked for.
public enum LetterboxdPage {
    /// The favourites of `username`'s profile page, in any of the three markup generations Letterboxd has
    /// used: poster `div`s with `data-film-slug`/`data-film-id`; `LazyPoster` React components with
    /// `data-item-slug`, `data-item-name` ("Title (Year)") and `data-film-id`; and the same with the id in
    /// `data-postered-identifier` (JSON with `"uid":"film:ID"`). A profile without favourites gives none.
    public static func profile(_ html: [UInt8], username: String) throws(ScrapeError) -> ProfileFavourites {
        let page = try HTMLDocument(html)
        try rejectErrorPages(page, what: "profile \(username)")
        let isProfile = !page.nodes("//meta[@property='og:type' and @content='profile']").isEmpty
            || !page.nodes("//body[contains(concat(' ', normalize-space(@class), ' '), ' profile ')]").isEmpty
        if !page.nodes("//*[contains(@class, 'profile-private')]").isEmpty
            || page.nodes("//body").first?.text.contains("This profile is private") == true {
            throw ScrapeError(.privateProfile, "\(username)'s profile is private")
        }
        guard let section = page.nodes("//section[@id='favourites']").first else {
            guard isProfile else { throw ScrapeError(.malformed, "the page for \(username) is not a Letterboxd profile") }
            return ProfileFavourites(username: username, favourites: [])
        }
        let posters = section.nodes(".//*[@data-film-slug or @data-item-slug]")
        var favourites: [ProfileFavourites.Favourite] = []
        for poster in posters {
            guard let rawSlug = poster.attribute("data-item-slug") ?? poster.attribute("data-film-slug") else { continue }
            let slug = normalizedSlug(rawSlug)
            guard !slug.isEmpty, !favourites.contains(where: { $0.slug == slug }) else { continue }
            let (title, year) = poster.attribute("data-item-name").map(splitTitleAndYear)
                ?? (poster.nodes(".//img[@alt]").first?.attribute("alt"), nil)
            let id = poster.attribute("data-film-id").flatMap { Int64($0) }
                ?? poster.attribute("data-postered-identifier").flatMap(filmID(fromIdentifier:))
            favourites.append(.init(slug: slug, letterboxdID: id, title: title, year: year))
        }
        return ProfileFavourites(username: username, favourites: Array(favourites.prefix(4)))
    }

    /// A film page's metadata, from its JSON-LD block (inside a CDATA comment) or, when that is missing or
    /// broken, from the HTML: the title heading, the release-year link, `/director/` links and the genre
    /// tab's `/films/genre/` links. The Letterboxd id comes from the page's `data-film-id`.
    public static func film(_ html: [UInt8], slug: String) throws(ScrapeError) -> FilmMetadata {
        let page = try HTMLDocument(html)
        try rejectErrorPages(page, what: "film \(slug)")
        let ogType = page.nodes("//meta[@property='og:type']").first?.attribute("content")
        guard ogType == "video.movie" else {
            throw ScrapeError(.notAFilm, "/film/\(slug)/ is not a film page (og:type \(ogType ?? "missing"))")
        }
        guard let id = page.nodes("//*[@data-film-id]").lazy.compactMap({ $0.attribute("data-film-id").flatMap { Int64($0) } }).first(where: { $0 > 0 }) else {
            throw ScrapeError(.malformed, "/film/\(slug)/ carries no Letterboxd film id")
        }
        if let structured = page.nodes("//script[@type='application/ld+json']").lazy.compactMap({ jsonLD($0.rawText) }).first,
           let title = structured["name"] as? String, !title.trimmingCharacters(in: .whitespaces).isEmpty {
            let directors = (structured["director"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let genres = structured["genre"] as? [String] ?? []
            let year = (structured["releasedEvent"] as? [[String: Any]])?.first?["startDate"].flatMap { Int("\($0)".prefix(4)) }
            let poster = structured["image"] as? String
            return FilmMetadata(slug: slug, letterboxdID: id, title: title, year: year, directors: directors, genres: genres, poster: poster).normalized()
        }
        let heading = page.nodes("//h1[contains(@class, 'headline-1') or contains(@class, 'filmtitle')]").first?.text
        let ogTitle = page.nodes("//meta[@property='og:title']").first?.attribute("content").map(splitTitleAndYear)
        guard let title = heading.flatMap({ $0.isEmpty ? nil : $0 }) ?? ogTitle?.0 else {
            throw ScrapeError(.malformed, "/film/\(slug)/ has neither usable JSON-LD nor a title heading")
        }
        let yearText = page.nodes("//*[contains(@class, 'releaseyear') or contains(@class, 'releasedate')]//a").first?.text
        let year = yearText.flatMap { Int($0) } ?? ogTitle?.1
        let directors = page.nodes("//a[starts-with(@href, '/director/')]").map(\.text).filter { !$0.isEmpty }
        let genres = page.nodes("//*[@id='tab-panel-genres']//a[starts-with(@href, '/films/genre/')]").map(\.text)
        return FilmMetadata(slug: slug, letterboxdID: id, title: title, year: year, directors: directors, genres: genres).normalized()
    }

    static func rejectErrorPages(_ page: HTMLDocument, what: String) throws(ScrapeError) {
        try rejectBlockPages(page, what: what)
        let title = page.nodes("//title").first?.text ?? ""
        let errorBody = page.nodes("//body[contains(concat(' ', normalize-space(@class), ' '), ' error ')]")
        if !errorBody.isEmpty || title.contains("Not Found") {
            throw ScrapeError(.notFound, "Letterboxd has no \(what)")
        }
    }

    static func rejectBlockPages(_ page: HTMLDocument, what: String) throws(ScrapeError) {
        let title = page.nodes("//title").first?.text ?? ""
        let challenge = page.nodes(
            "//*[@id='challenge-form' or @id='challenge-running' or @id='cf-wrapper' or @id='cf-turnstile' or contains(@class, 'cf-turnstile') or contains(@class, 'g-recaptcha') or contains(@class, 'h-captcha')] | //script[contains(@src, 'challenges.cloudflare.com')]")
        if title.contains("Just a moment") || title.contains("Attention Required") || !challenge.isEmpty {
            throw ScrapeError(.blocked, "Letterboxd answered \(what) with a Cloudflare challenge or captcha page")
        }
    }

    /// `/film/pulp-fiction/` or `pulp-fiction` → `pulp-fiction`.
    static func normalizedSlug(_ raw: String) -> String {
        raw.split(separator: "/").filter { $0 != "film" }.last.map(String.init) ?? ""
    }

    /// "Title (1994)" → ("Title", 1994); a title without a trailing year is kept whole.
    static func splitTitleAndYear(_ name: String) -> (String?, Int?) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "(") {
            let inside = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            if inside.count == 4, let year = Int(inside) {
                return (trimmed[..<open].trimmingCharacters(in: .whitespaces), year)
            }
        }
        return (trimmed.isEmpty ? nil : trimmed, nil)
    }

    /// `{"uid":"film:51568",…}` → 51568.
    static func filmID(fromIdentifier json: String) -> Int64? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let uid = object["uid"] as? String, uid.hasPrefix("film:") else { return nil }
        return Int64(uid.dropFirst(5))
    }

    /// The JSON object of a JSON-LD script, unwrapped from its `/* <![CDATA[ */ … /* ]]> */` comment.
    static func jsonLD(_ script: String) -> [String: Any]? {
        var body = script.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("/*"), let end = body.range(of: "*/") { body = String(body[end.upperBound...]) }
        if let start = body.range(of: "/*", options: .backwards), body[start.upperBound...].contains("]]>") {
            body = String(body[..<start.lowerBound])
        }
        return try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
    }
}
