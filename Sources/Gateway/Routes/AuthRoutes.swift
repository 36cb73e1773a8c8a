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
            routes.post("/register") { request, context -> Created<RegisteredBody> in
                let credentials = try await Requests.decode(Credentials.self, from: request, limit: limit)
                try AccountRoutes.checkNewPassword(credentials.password, type: "invalid-registration", title: "Invalid registration")
                let placeholder = "$2b$04$" + String(repeating: "a", count: 53)
                do { _ = try PersonalData(username: credentials.username, passwordHash: placeholder) } catch {
                    throw Problem(.badRequest, type: "invalid-registration", title: "Invalid registration", detail: "\(error)")
                }
                guard writes.registrations.reserve(credentials.username, accounts: readModel.accounts().state) else {
                    throw Problem(.conflict, type: "username-taken", title: "Username taken", detail: "'\(credentials.username)' is already registered")
                }
                let userID = UUID.random()
                let data: PersonalData
                let position: UInt64
                do {
                    data = try PersonalData(username: credentials.username, passwordHash: try await authentication.hash(credentials.password, for: context.client))
                    // The key is durable before the event that needs it: a crash between the two leaves a key
                    // no event uses, never an event no key opens.
                    let sealed = try writes.vault.seal(data, for: userID)
                    position = try await writes.appender.append(EventEnvelope(
                        occurredAt: authentication.authority.timestamp, event: .userRegistered(UserRegistered(userID: userID, personal: .sealed(sealed)))))
                } catch {
                    writes.registrations.finish(credentials.username, account: nil)
                    throw error
                }
                writes.registrations.finish(credentials.username, account: .init(userID: userID, data: data, end: position + 1))
                try await writes.confirm(position)
                return Created(
                    body: RegisteredBody(userID: userID.uuidString, username: data.username, position: position), position: position,
                    location: "/api/me")
            }
        }
        routes.post("/login") { request, context -> TokenBody in
            let credentials = try await Requests.decode(Credentials.self, from: request, limit: limit)
            // The position the token carries is one at which the account exists: any node serving the token
            // first reaches it.
            let accounts = readModel.accounts()
            let known: (id: UserID, data: PersonalData, position: UInt64)? = accounts.state.account(named: credentials.username)
                .map { ($0.account.userID, $0.data, accounts.position) }
                ?? writes?.registrations.recent(credentials.username).map { ($0.userID, $0.data, $0.end) }
            try authentication.throttle.admit(credentials.username, from: context.client)
            // An unknown name costs a hash too, so response times do not tell which names exist.
            let hash = if let known { known.data.passwordHash } else { await authentication.unknownUserHash }
            let verified = try await authentication.verify(credentials.password, hash: hash, for: context.client)
            authentication.throttle.record(credentials.username, from: context.client, success: known != nil && verified)
            guard let known, verified else {
                throw Problem(.unauthorized, type: "invalid-credentials", title: "Invalid credentials", detail: "unknown username or wrong password")
            }
            let (token, expires) = try await authentication.authority.accessToken(for: known.id, name: known.data.username, position: known.position)
            return TokenBody(token: token, expiresAt: Timestamp(expires).description)
        }
        return routes
    }
}
