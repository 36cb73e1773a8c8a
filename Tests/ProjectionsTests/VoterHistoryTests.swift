import Foundation
import MovieMashCore
import Projections
import Testing

@Suite struct VoterHistoryTests {
    /// Films met only in sets the voter voted against are the ones to avoid; a film also in a chosen set is
    /// not, and each chosen film names the newest set the voter chose that holds it.
    @Test func choicesSeparateFilmsMetOnlyInRejectedSets() throws {
        let ids = try (0..<10).map { try MovieID("film-\($0)") }
        func set(_ owner: String, _ films: [Int]) throws -> Top4SetScraped {
            try Top4SetScraped(letterboxdUser: owner, movieIDs: films.map { ids[$0] }, scrapedAt: Timestamp(milliseconds: 0))
        }
        let a = try set("ada", [0, 1, 2, 3]), b = try set("bruno", [3, 4, 5, 6]), c = try set("carmen", [1, 7, 8, 9])
        var catalogue = Catalogue(), history = VoterHistory()
        for scraped in [a, b, c] { catalogue.apply(EventEnvelope(occurredAt: .now, event: .top4SetScraped(scraped))) }
        let voter = UUID(), stranger = UUID()
        for (position, (first, second, winner)) in [(a, b, VoteCast.Side.setA), (c, a, .setA)].enumerated() {
            var vote = EventEnvelope(occurredAt: .now, event: .voteCast(try VoteCast(
                voteID: UUID(), userID: voter, setA: first.setID, setB: second.setID, winner: winner, ticketID: UUID(),
                castAt: Timestamp(milliseconds: Int64(position) * 1000))))
            vote.position = UInt64(position)
            history.apply(vote)
        }
        let choices = history.choices(of: voter, catalogue: catalogue)
        // a was chosen once and rejected once: its films 0 and 2 stay allowed; b's 4, 5, 6 were only rejected
        // (3 is in a, chosen); c was chosen.
        #expect(choices.rejectedOnly == Set([4, 5, 6].map { ids[$0] }))
        #expect(choices.chooser(of: ids[1]) == c.setID, "film 1 is in a and c: the newer choice, c, names it")
        #expect(choices.chooser(of: ids[0]) == a.setID && choices.chooser(of: ids[4]) == nil)
        #expect(history.choices(of: stranger, catalogue: catalogue).rejectedOnly.isEmpty)
    }
}
