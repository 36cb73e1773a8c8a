import MovieMashCore

/// Registered voters by username (case-insensitively unique), with the bcrypt hash login checks. The
/// hashes stay in memory here for login; they are never served, and analysts never see them.
public struct Accounts: Projector {
    public struct Account: Sendable, Equatable {
        public var userID: UserID
        public var username: String
        public var passwordHash: String

        public init(userID: UserID, username: String, passwordHash: String) {
            self.userID = userID
            self.username = username
            self.passwordHash = passwordHash
        }
    }

    public static let name = "accounts"
    public static let version: UInt32 = 1

    public private(set) var byUsername: [String: Account] = [:]

    public init() {}

    public var configurationBytes: [UInt8] { [] }

    public func account(named username: String) -> Account? { byUsername[username.lowercased()] }

    public mutating func apply(_ event: EventEnvelope) {
        guard case .userRegistered(let user) = event.event else { return }
        let key = user.username.lowercased()
        // The first registration of a name holds; the gateway refuses a second, and a log written by
        // something else cannot take an account over.
        if byUsername[key] == nil {
            byUsername[key] = Account(userID: user.userID, username: user.username, passwordHash: user.passwordHash)
        }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: byUsername.count)
        for key in byUsername.keys.sorted() {
            let account = byUsername[key]!
            writer.write(account.userID)
            writer.write(account.username)
            writer.write(account.passwordHash)
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        byUsername = [:]
        for _ in 0..<(try reader.count(minimumBytes: 24)) {
            let account = Account(userID: try reader.uuid(), username: try reader.string(), passwordHash: try reader.string())
            byUsername[account.username.lowercased()] = account
        }
    }
}
