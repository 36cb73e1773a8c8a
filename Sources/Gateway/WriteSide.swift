import MovieMashCore

/// What the gateway needs to accept writes: where events go, and the short memory of what it just
/// wrote and showed (registrations in flight, pairs shown, idempotent answers).
public struct WriteSide: Sendable {
    public var appender: any EventAppender
    public var authentication: Authentication
    /// Where personal data is sealed before its event is appended, and whose keys erasure destroys.
    public var vault: any PersonalDataVault
    /// Where requests to read Letterboxd profiles go: the scrape service, when this node scrapes.
    public var letterboxd: (any LetterboxdQueue)?
    let registrations = RecentRegistrations()
    let answers = IdempotentAnswers()
    let shown = ShownPairs()

    /// Returns once the write at `position` counts as durable (the appender's durability rule); a write
    /// is acknowledged only after this.
    func confirm(_ position: UInt64) async throws { try await appender.confirm(position) }

    public init(appender: any EventAppender, authentication: Authentication, vault: any PersonalDataVault) {
        self.appender = appender
        self.authentication = authentication
        self.vault = vault
    }

    /// A write side whose authentication uses `authority` at bcrypt cost `bcryptCost`.
    public init(appender: any EventAppender, authority: TokenAuthority, vault: any PersonalDataVault, bcryptCost: UInt8 = 12) {
        self.init(appender: appender, authentication: Authentication(authority: authority, bcryptCost: bcryptCost), vault: vault)
    }
}
