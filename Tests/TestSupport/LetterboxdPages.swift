/// Letterboxd pages in the shapes the scraper reads, for the fake Letterboxds and saved pages of tests.
public enum LetterboxdPages {
    /// A film page in the JSON-LD form: one director ("Director of TITLE"), the genre Drama.
    public static func film(slug: String, id: Int, title: String, year: Int) -> String {
        """
        <!DOCTYPE html><html><head><title>\(title) • Letterboxd</title>
        <meta property="og:type" content="video.movie" />
        <script type="application/ld+json">
        /* <![CDATA[ */
        {"name":"\(title)","director":[{"@type":"Person","name":"Director of \(title)"}],"genre":["Drama"],"releasedEvent":[{"@type":"PublicationEvent","startDate":"\(year)"}],"@type":"Movie"}
        /* ]]> */
        </script></head>
        <body class="film"><div class="film-poster" data-film-id="\(id)" data-film-slug="\(slug)"></div></body></html>
        """
    }

    /// A profile whose favourites are these films, in order.
    public static func profile(favourites: [(slug: String, id: Int)]) -> String {
        let posters = favourites.map { "<div class=\"film-poster\" data-film-slug=\"\($0.slug)\" data-film-id=\"\($0.id)\"></div>" }
        return "<html><head><meta property=\"og:type\" content=\"profile\" /></head><body class=\"profile\"><section id=\"favourites\">\(posters.joined())</section></body></html>"
    }

    /// A profile whose owner hides it.
    public static let privateProfile =
        "<html><head><meta property=\"og:type\" content=\"profile\" /></head><body class=\"profile\"><div class=\"profile-private\">This profile is private</div></body></html>"
}
