import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import MovieMashCore
import Projections
import Testing

@Suite struct AuthenticationTests {
    /// A node with no write side (a replica's gateway): the account comes from the projection, sign-in
    /// and tokens work, tickets are issued, registration and voting are not served.
    @Test func aNodeWithoutAWriteSideSignsPeopleInButTakesNoWrites() async throws {
        var (model, _) = await sampleReadModel()
        var accounts = Accounts()
        let user = try UserRegistered(userID: UUID(), username: "reader", passwordHash: Bcrypt.hash("correct horse battery", cost: 4))
        accounts.apply(EventEnvelope(position: 0, occurredAt: .now, event: .userRegistered(user)))
        model.accounts = { [accounts] in (accounts, 0) }
        model.recommendations = { _, _, _ in [] }
        let authentication = Authentication(authority: await TokenAuthority(keys: testKeys), bcryptCost: 4)
        let app = Application(router: GatewayApplication.router(readModel: model, authentication: authentication))
        try await app.test(.router) { client in
            let token = try await client.execute(
                uri: "/api/auth/login", method: .post, headers: jsonType, body: json(Credentials(username: "reader", password: "correct horse battery"))
            ) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(TokenBody.self, from: Data(buffer: response.body)).token
            }
            try await client.execute(uri: "/api/recommendations", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/recommendations", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            for uri in ["/api/auth/register", "/api/votes"] {
                try await client.execute(uri: uri, method: .post, headers: jsonType, body: json(Credentials(username: "new", password: "correct horse battery"))) { response in
                    #expect(response.status == .notFound, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/comparisons/next", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok, "any node with the keys issues tickets; the vote goes to the writer")
                let comparison = try JSONDecoder().decode(ComparisonBody.self, from: Data(buffer: response.body))
                #expect(comparison.ticket.hasPrefix("t1."))
            }
        }
    }
}
