import Foundation
@testable import Gateway
import MovieMashCore
import Testing
import TestSupport

@Suite struct TokenClockTests {
    /// Tickets and access tokens expire by the authority's clock, moved by hand: a ticket redeems until its
    /// lifetime is up and not a second later, and a token already verified (and kept) stops working when
    /// its hour is over.
    @Test func ticketsAndTokensExpireByTheirClockWithoutWaiting() async throws {
        let clock = ManualClock(), start = Date()
        let authority = await TokenAuthority(
            keys: testKeys, accessLifetime: .seconds(3600), ticketLifetime: .seconds(600),
            now: { start.addingTimeInterval(clock.now.offset / .seconds(1)) })
        let voter = UUID()
        let (token, expires) = try await authority.accessToken(for: voter, name: "ada")
        #expect(expires == start.addingTimeInterval(3600))
        #expect(try await authority.user(fromBearer: "Bearer " + token).id == voter)

        let pair = (SetID(value: 1), SetID(value: 2))
        let ticket = authority.ticket(id: UUID(), voter: voter, pair: pair).token
        clock.advance(by: .seconds(599))
        #expect(try authority.redeem(ticket, by: voter).a == pair.0)
        clock.advance(by: .seconds(2))
        #expect(throws: Problem.self) { try authority.redeem(ticket, by: voter) }

        clock.advance(by: .seconds(2998))
        #expect(try await authority.user(fromBearer: "Bearer " + token).id == voter, "one second left")
        clock.advance(by: .seconds(2))
        await #expect(throws: Problem.self) { try await authority.user(fromBearer: "Bearer " + token) }
    }
}
