import Foundation
import MovieMashCore
import Projections
import Testing

/// Films as teams: what the votes can and cannot say about a film, on hand-made streams.
@Suite struct FilmTeamsTests {
    static let start = SampleEvents.defaultStart.milliseconds

    static func set(_ owner: String, _ films: [String]) -> (EventEnvelope, SetID) {
        let scraped = try! Top4SetScraped(letterboxdUser: owner, movieIDs: films.map { try! MovieID($0) }, scrapedAt: Timestamp(milliseconds: start))
        return (EventEnvelope(eventID: UUID(), occurredAt: Timestamp(milliseconds: start), event: .top4SetScraped(scraped)), scraped.setID)
    }

    static func votes(_ winner: SetID, over loser: SetID, _ count: Int) -> [EventEnvelope] {
        (0..<count).map { index in
            let at = Timestamp(milliseconds: start + Int64(index) + 1)
            let vote = try! VoteCast(voteID: UUID(), userID: UUID(), setA: winner, setB: loser, winner: .setA, ticketID: UUID(), castAt: at)
            return EventEnvelope(eventID: UUID(), occurredAt: at, event: .voteCast(vote))
        }
    }

    static func boards(_ events: [EventEnvelope]) async -> (BradleyTerryCounts, Leaderboard<SetID>, Leaderboard<MovieID>) {
        var counts = BradleyTerryCounts()
        for event in events { counts.apply(event) }
        let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, priority: .normal)
        return (counts, sets, await Leaderboard.fitFilms(counts, sets: sets, priority: .normal))
    }

    @Test func aFilmInBothSetsCancelsOutAndTeammatesShareTheirSetsStrength() async throws {
        let (strongEvent, strong) = Self.set("a", ["shared", "s1", "s2", "s3"])
        let (weakEvent, weak) = Self.set("b", ["shared", "w1", "w2", "w3"])
        let (_, _, films) = await Self.boards([strongEvent, weakEvent] + Self.votes(strong, over: weak, 30) + Self.votes(weak, over: strong, 10))
        let shared = try #require(films[try MovieID("shared")])
        #expect(abs(shared.theta) < 1e-9, "a film on both sides of every vote learns nothing: \(shared.theta)")
        let s1 = try #require(films[try MovieID("s1")]), w1 = try #require(films[try MovieID("w1")])
        #expect(s1.theta > 0 && w1.theta < 0)
        for name in ["s2", "s3"] { #expect(abs(films[try MovieID(name)]!.theta - s1.theta) < 1e-9, "teammates split alike") }
        // The shared film keeps the prior's whole spread; the others have most of it left too, since the
        // votes fix only their set's sum.
        let sigma = BradleyTerry.Configuration().filmPriorDeviation, perRating = 400 / log(10.0)
        #expect(abs(shared.halfWidth - 1.959964 * sigma * perRating) < 0.5)
        #expect(s1.halfWidth > 1.959964 * sigma * perRating * (0.75).squareRoot() - 0.5 && s1.halfWidth < shared.halfWidth)
    }

    @Test func aFilmInNoSetWithVotesStaysAtThePrior() async throws {
        let (aEvent, a) = Self.set("a", ["a1", "a2", "a3", "a4"])
        let (bEvent, b) = Self.set("b", ["b1", "b2", "b3", "b4"])
        let (unvotedEvent, _) = Self.set("c", ["c1", "c2", "c3", "c4"])
        let (counts, sets, films) = await Self.boards([aEvent, bEvent, unvotedEvent] + Self.votes(a, over: b, 5))
        #expect(films.entries.count == counts.films.count && sets.entries.count == 3)
        let unseen = try #require(films[try MovieID("c1")])
        let sigma = BradleyTerry.Configuration().filmPriorDeviation, perRating = 400 / log(10.0)
        #expect(unseen.theta == 0 && unseen.rating == 1500 && unseen.comparisons == 0)
        #expect(abs(unseen.halfWidth - 1.959964 * sigma * perRating) < 0.5)
        #expect(films[try MovieID("a1")]!.comparisons == 5)
    }

    @Test func filmsInManySetsAreKnownBetterThanFilmsInOne() async throws {
        // A "hub" film in six sets, each with three films of their own, and six sets without it; every set
        // meets every other, the hub's sets winning two votes in three.
        var events: [EventEnvelope] = [], hubSets: [SetID] = [], others: [SetID] = []
        for owner in 0..<6 {
            let (event, id) = Self.set("o\(owner)", ["hub"] + (0..<3).map { "f\(owner)-\($0)" })
            let (other, otherID) = Self.set("x\(owner)", (0..<4).map { "x\(owner)-\($0)" })
            events += [event, other]
            hubSets.append(id)
            others.append(otherID)
        }
        for (index, id) in hubSets.enumerated() {
            for other in others { events += Self.votes(id, over: other, 20) + Self.votes(other, over: id, 10) }
            for later in hubSets.dropFirst(index + 1) { events += Self.votes(id, over: later, 15) + Self.votes(later, over: id, 15) }
        }
        for (index, id) in others.enumerated() {
            for later in others.dropFirst(index + 1) { events += Self.votes(id, over: later, 15) + Self.votes(later, over: id, 15) }
        }
        let (_, _, films) = await Self.boards(events)
        let hub = try #require(films[try MovieID("hub")]), single = try #require(films[try MovieID("f0-0")])
        #expect(hub.theta > single.theta, "the hub is what its six sets have in common")
        #expect(hub.halfWidth < single.halfWidth)
    }

    @Test func filmEloMovesEachFilmByAQuarterOfItsSetsUpdate() {
        let (aEvent, a) = Self.set("a", ["shared", "a1", "a2", "a3"])
        let (bEvent, b) = Self.set("b", ["shared", "b1", "b2", "b3"])
        var elo = EloRatings()
        for event in [aEvent, bEvent] + Self.votes(a, over: b, 1) { elo.apply(event) }
        let change = elo.configuration.filmK * 0.5 / 4
        #expect(elo.rating(of: try! MovieID("shared")) == 1500, "a film in both sets nets zero")
        #expect(abs(elo.rating(of: try! MovieID("a1"))! - (1500 + change)) < 1e-12)
        #expect(abs(elo.rating(of: try! MovieID("b3"))! - (1500 - change)) < 1e-12)
        #expect(abs(elo.rating(of: a)! - (1500 + elo.configuration.k * 0.5)) < 1e-12, "sets move as before")
    }
}

extension FilmTeamsTests {
    @Test func setsWithoutVotesAreFittedAndRefittedWithoutTrouble() async throws {
        let (aEvent, a) = Self.set("a", ["a1", "a2", "a3", "a4"])
        let (bEvent, b) = Self.set("b", ["b1", "b2", "b3", "b4"])
        var counts = BradleyTerryCounts()
        for event in [aEvent, bEvent] { counts.apply(event) }
        // As the service fits it first: no votes yet, from the empty standings.
        let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: .empty, priority: .normal)
        let empty = await Leaderboard.fitFilms(counts, sets: sets, previous: .empty, priority: .normal)
        #expect(empty.entries.count == 8 && empty.entries.allSatisfy { $0.standing.theta == 0 })
        for event in Self.votes(a, over: b, 3) { counts.apply(event) }
        let later = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: sets, priority: .normal)
        let films = await Leaderboard.fitFilms(counts, sets: later, previous: empty, priority: .normal)
        let a1 = try MovieID("a1"), b1 = try MovieID("b1")
        #expect(films[a1]!.theta > 0 && films[b1]!.theta < 0)
    }
}
