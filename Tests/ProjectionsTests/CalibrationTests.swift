import Foundation
import MovieMashCore
import Projections
import Testing

/// Intervals judged against known truth: film strengths drawn from the film board's prior, sets of four
/// films that share films, votes drawn from the team model; over several seeds, the share of items whose
/// 95% interval holds the true strength (origin aligned), per board and per how many sets a film is in.
@Suite struct CalibrationTests {
    struct Coverage {
        var held = 0, items = 0
        var halfWidths: [Double] = []
        var share: Double { Double(held) / Double(max(1, items)) }
        var medianHalfWidth: Double { halfWidths.sorted()[halfWidths.count / 2] }

        mutating func add(_ holds: Bool, halfWidth: Double) {
            held += holds ? 1 : 0
            items += 1
            halfWidths.append(halfWidth)
        }
    }

    /// One simulated stream: 80 sets of 4 films drawn with popularity from 220 (so films are in one, two or
    /// many sets), 6,000 votes between random pairs of sets.
    static func simulate(seed: UInt64) -> (events: [EventEnvelope], films: [MovieID: Double], sets: [SetID: Double]) {
        var random = SplitMix64(seed: seed)
        let sigma = BradleyTerry.Configuration().filmPriorDeviation
        let filmIDs = (0..<220).map { try! MovieID("film-\($0)") }
        var truth: [MovieID: Double] = [:]
        for film in filmIDs { truth[film] = sigma * random.normal() }
        let start = SampleEvents.defaultStart.milliseconds
        var events: [EventEnvelope] = []
        var sets: [(id: SetID, theta: Double)] = [], usedFilms = Set<MovieID>()
        for owner in 0..<80 {
            var chosen: [MovieID] = []
            while chosen.count < 4 {
                // Popularity: the square of a uniform index favours the first films.
                let u = Double.random(in: 0..<1, using: &random)
                let film = filmIDs[Int(u * u * Double(filmIDs.count))]
                if !chosen.contains(film) { chosen.append(film) }
            }
            let scraped = try! Top4SetScraped(letterboxdUser: "owner\(owner)", movieIDs: chosen, scrapedAt: Timestamp(milliseconds: start))
            events.append(EventEnvelope(eventID: random.uuid(), occurredAt: Timestamp(milliseconds: start), event: .top4SetScraped(scraped)))
            sets.append((scraped.setID, chosen.reduce(0) { $0 + truth[$1]! }))
            usedFilms.formUnion(chosen)
        }
        let voter: UserID = random.uuid()
        for index in 0..<6_000 {
            let a = Int.random(in: 0..<sets.count, using: &random)
            var b = Int.random(in: 0..<(sets.count - 1), using: &random)
            if b >= a { b += 1 }
            let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(sets[b].theta - sets[a].theta))
            let at = Timestamp(milliseconds: start + Int64(index) + 1)
            let vote = try! VoteCast(
                voteID: random.uuid(), userID: voter, setA: sets[a].id, setB: sets[b].id, winner: aWins ? .setA : .setB,
                ticketID: random.uuid(), castAt: at)
            events.append(EventEnvelope(eventID: random.uuid(), occurredAt: at, event: .voteCast(vote)))
        }
        return (events, truth.filter { usedFilms.contains($0.key) }, Dictionary(uniqueKeysWithValues: sets.map { ($0.id, $0.theta) }))
    }

    /// The share of `truth` inside each item's interval, after moving the truth by the mean difference
    /// between estimates and truth (only contrasts are identified, the origin is the prior's).
    static func coverage<Item: Hashable>(
        _ board: Leaderboard<Item>, truth: [Item: Double], perRating: Double, bucket: (Item) -> Int
    ) -> [Int: Coverage] {
        let shift = truth.reduce(0) { $0 + board[$1.key]!.theta - $1.value } / Double(truth.count)
        var result: [Int: Coverage] = [:]
        for (item, value) in truth {
            let standing = board[item]!
            let rating = 1500 + (value + shift) * perRating
            result[bucket(item), default: Coverage()].add(standing.lower <= rating && rating <= standing.upper, halfWidth: standing.halfWidth)
        }
        return result
    }

    @Test func intervalsHoldTheTruthAboutNineteenTimesInTwenty() async throws {
        var setsTotal = Coverage(), filmsTotal = Coverage()
        var filmBuckets: [Int: Coverage] = [:]
        var table = ["board  bucket      seed  items  coverage  median half-width"]
        let perRating = 400 / log(10.0)
        for seed: UInt64 in 1...6 {
            let (events, filmTruth, setTruth) = Self.simulate(seed: seed)
            var counts = BradleyTerryCounts()
            for event in events { counts.apply(event) }
            let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, priority: .normal)
            let films = await Leaderboard.fitFilms(counts, sets: sets, priority: .normal)
            var setCount: [MovieID: Int] = [:]
            for set in 0..<counts.sets.items.count {
                for slot in 0..<4 { setCount[counts.films[Int(counts.setFilms[4 * set + slot])], default: 0] += 1 }
            }
            let setCoverage = Self.coverage(sets, truth: setTruth, perRating: perRating) { _ in 0 }[0]!
            table.append(String(format: "sets   all         %4d  %5d  %8.3f  %6.1f", seed, setCoverage.items, setCoverage.share, setCoverage.medianHalfWidth))
            setsTotal.held += setCoverage.held
            setsTotal.items += setCoverage.items
            let byBucket = Self.coverage(films, truth: filmTruth, perRating: perRating) { min(3, setCount[$0]!) }
            for (bucket, coverage) in byBucket.sorted(by: { $0.key < $1.key }) {
                let name = bucket == 3 ? "3+ sets" : "\(bucket) set\(bucket == 1 ? "" : "s")"
                let padded = name.padding(toLength: 10, withPad: " ", startingAt: 0)
                table.append("films  \(padded)  " + String(format: "%4d  %5d  %8.3f  %6.1f", seed, coverage.items, coverage.share, coverage.medianHalfWidth))
                filmBuckets[bucket, default: Coverage()].held += coverage.held
                filmBuckets[bucket, default: Coverage()].items += coverage.items
                filmsTotal.held += coverage.held
                filmsTotal.items += coverage.items
            }
        }
        print(table.joined(separator: "\n"))
        #expect((0.93...0.97).contains(setsTotal.share), "sets: \(setsTotal.held) of \(setsTotal.items) intervals hold the truth")
        #expect((0.93...0.97).contains(filmsTotal.share), "films: \(filmsTotal.held) of \(filmsTotal.items) intervals hold the truth")
        for (bucket, coverage) in filmBuckets {
            #expect((0.90...0.99).contains(coverage.share), "films in \(bucket) sets: \(coverage.held) of \(coverage.items)")
        }
    }
}
