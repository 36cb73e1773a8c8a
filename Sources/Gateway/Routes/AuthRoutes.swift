import Foundation
import Hummingbird
import MovieMashCore
import Projections

struct Credentials: Codable, Sendable {
    var username: String
    var password: String
}

struct RegisteredBody: Codable, Sendable, JSONBody {
    var userID: String
    var username: String
    /// The registration's log position.
    var position: UInt64

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("userID"); json.string(userID)
        json.key("username"); json.string(username)
        json.key("position"); json.integer(position)
        json.endObject()
    }
}

struct TokenBody: Codable, Sendable, JSONBody {
    var token: String
    var expiresAt: String

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("token"); json.string(token)
        json.key("expiresAt"); json.string(expiresAt)
        json.endObject()
    }
}

/// `POST /api/auth/register` (with a write side) and `POST /api/auth/login`.
enum AuthRoutes {
    static func collection(
        readModel: ReadModel, authentication: Authentication, writes: WriteSide?, configuration: GatewayApplication.Configuration
    ) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let limit = configuration.maximumBodyBytes
        if let writes {
            routes.post("/register") { request, _ -> Created<RegisteredBody> in
                let credentials = try await GatewayApplication.decode(Credentials.self, from: request, limit: limit)
                guard credentials.password.unicodeScalars.count >= 8, credentials.password.utf8.count <= 72 else {
                    throw Problem(.badRequest, type: "invalid-registration", title: "Invalid registration",
                                  detail: "the password must be at least 8 characters and at most 72 bytes of UTF-8 (bcrypt reads no further)")
                }
                let placeholder = "$2b$04$" + String(repeating: "a", count: 53)
                do { _ = try UserRegistered(userID: UUID.random(), username: credentials.username, passwordHash: placeholder) } catch {
                    throw Problem(.badRequest, type: "invalid-registration", title: "Invalid registration", detail: "\(error)")
                }
                guard writes.desk.reserve(credentials.username, accounts: readModel.accounts().state) else {
                    throw Problem(.conflict, type: "username-taken", title: "Username taken", detail: "'\(credentials.username)' is already registered")
                }
                let user: UserRegistered
                let position: UInt64
                do {
                    let hash = try await authentication.hash(credentials.password)
                    user = try UserRegistered(userID: UUID.random(), username: credentials.username, passwordHash: hash)
                    position = try await writes.appender.append(EventEnvelope(occurredAt: .now, event: .userRegistered(user)))
                } catch {
                    writes.desk.finishRegistration(credentials.username, account: nil)
                    throw error
                }
                writes.desk.finishRegistration(
                    credentials.username,
                    account: (Accounts.Account(userID: user.userID, username: user.username, passwordHash: user.passwordHash), position + 1))
                try await writes.confirm(position)
                return Created(body: RegisteredBody(userID: user.userID.uuidString, username: user.username, position: position), position: position)
            }
        }
        routes.post("/login") { request, _ -> TokenBody in
            let credentials = try await GatewayApplication.decode(Credentials.self, from: request, limit: limit)
            // The position the token carries is one at which the account exists: any node serving the token
            // first reaches it.
            let accounts = readModel.accounts()
            let (account, position): (Accounts.Account?, UInt64) = writes?.desk.recentlyRegistered(credentials.username).map { ($0.account, $0.end) }
                ?? (accounts.state.account(named: credentials.username), accounts.position)
            // An unknown name costs a hash too, so response times do not tell which names exist.
            let verified = try await authentication.verify(credentials.password, hash: account?.passwordHash ?? authentication.unknownUserHash)
            guard let account, verified else {
                throw Problem(.unauthorized, type: "invalid-credentials", title: "Invalid credentials", detail: "unknown username or wrong password")
            }
            let (token, expires) = try await authentication.authority.accessToken(for: account.userID, name: account.username, position: position)
            return TokenBody(token: token, expiresAt: Timestamp(expires).description)
        }
        return routes
    }
}
