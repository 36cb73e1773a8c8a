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

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("userID"); json.string(userID)
        json.key("username"); json.string(username)
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
                guard writes.desk.reserve(credentials.username, accounts: readModel.accounts()) else {
                    throw Problem(.conflict, type: "username-taken", title: "Username taken", detail: "'\(credentials.username)' is already registered")
                }
                let user: UserRegistered
                do {
                    let hash = try await authentication.hash(credentials.password)
                    user = try UserRegistered(userID: UUID.random(), username: credentials.username, passwordHash: hash)
                    _ = try await writes.appender.append(EventEnvelope(occurredAt: .now, event: .userRegistered(user)))
                } catch {
                    writes.desk.finishRegistration(credentials.username, account: nil)
                    throw error
                }
                writes.desk.finishRegistration(
                    credentials.username, account: Accounts.Account(userID: user.userID, username: user.username, passwordHash: user.passwordHash))
                return Created(body: RegisteredBody(userID: user.userID.uuidString, username: user.username))
            }
        }
        routes.post("/login") { request, _ -> TokenBody in
            let credentials = try await GatewayApplication.decode(Credentials.self, from: request, limit: limit)
            let account = writes?.desk.recentlyRegistered(credentials.username) ?? readModel.accounts().account(named: credentials.username)
            // An unknown name costs a hash too, so response times do not tell which names exist.
            let verified = try await authentication.verify(credentials.password, hash: account?.passwordHash ?? authentication.unknownUserHash)
            guard let account, verified else {
                throw Problem(.unauthorized, type: "invalid-credentials", title: "Invalid credentials", detail: "unknown username or wrong password")
            }
            let (token, expires) = try await authentication.authority.accessToken(for: account.userID, name: account.username)
            return TokenBody(token: token, expiresAt: Timestamp(expires).description)
        }
        return routes
    }
}
