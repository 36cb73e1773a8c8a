import Foundation
import MovieMashCore
import Projections
import Synchronization
import Testing

@Suite struct PairSelectorTests {
    static func sets(_ count: Int) -> [SetID] { (1...count).map { SetID(value: UInt128($0) &* 0x9E37_79B9_7F4A_7C15) } }

    /// Votes until the median 95% interval half-width is at most 50 rating points, choosing pairs with the
    /// selector or uniformly at random; votes are drawn from a known Bradley–Terry truth. Each refit's
    /// (votes, median half-width) on the way: the curve.
    static func votesToReachTarget(adaptive: Bool, seed: UInt64) async -> [(votes: Int, halfWidth: Double)] {
        let ids = sets(30)
        let truth = ids.indices.map { Double($0 - 15) * 0.16 }
        let live = Mutex(PairCounts<SetID>())
        for id in ids { live.withLock { _ = $0.intern(id) } }
        var random = SplitMix64(seed: seed)
        var leaderboard = Leaderboard<SetID>.empty
        var fitted = PairCounts<SetID>()
        var votes = 0
        var curve: [(votes: Int, halfWidth: Double)] = []
        while votes < 40_000 {
            let selector = PairSelector(
                candidates: ids.map { id in
                    PairSelector.Candidate(
                        set: id, rating: leaderboard[id]?.rating ?? 1500, halfWidth: leaderboard[id]?.halfWidth ?? 400, genres: 0,
                        deviations: leaderboard.deviations(of: id))
                }) { [fitted] a, b in
                let wins = live.withLock { $0.wins(a, b) }, before = fitted.wins(a, b)
                return wins.a + wins.b - before.a - before.b
            }
            for _ in 0..<300 {
                let (a, b): (Int, Int)
                if adaptive {
                    let pair = selector.next(excluding: [], using: &random)!
                    (a, b) = (ids.firstIndex(of: pair.0)!, ids.firstIndex(of: pair.1)!)
                } else {
                    let first = Int.random(in: 0..<ids.count, using: &random)
                    var second = Int.random(in: 0..<(ids.count - 1), using: &random)
                    if second >= first { second += 1 }
                    (a, b) = (first, second)
                }
                let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(truth[b] - truth[a]))
                live.withLock { $0.record(winner: Int32(aWins ? a : b), loser: Int32(aWins ? b : a)) }
                votes += 1
            }
            fitted = live.withLock { $0 }
            leaderboard = await Leaderboard.fit(fitted, configuration: BradleyTerry.Configuration())
            let widths = leaderboard.entries.map(\.standing.halfWidth).sorted()
            curve.append((votes, widths[widths.count / 2]))
            if widths[widths.count / 2] <= 50 { return curve }
        }
        return curve
    }

    @Test func reachesNarrowIntervalsWithFewerVotesThanRandomPairs() async {
        let adaptive = await Self.votesToReachTarget(adaptive: true, seed: 3)
        let uniform = await Self.votesToReachTarget(adaptive: false, seed: 3)
        func described(_ curve: [(votes: Int, halfWidth: Double)]) -> String {
            curve.map { "\($0.votes):\(Int($0.halfWidth.rounded()))" }.joined(separator: " ")
        }
        print("pairing simulation, votes:median half-width after each refit; selector \(described(adaptive)); uniform \(described(uniform))")
        print("pairing simulation: \(adaptive.last!.votes) votes with the selector, \(uniform.last!.votes) with uniform random pairs, ratio \(Double(adaptive.last!.votes) / Double(uniform.last!.votes))")
        #expect(adaptive.last!.votes < uniform.last!.votes)
    }

    /// The selector built from the projections finds each pair's votes in the tallies: with no exploration
    /// and equal ratings, a pair voted on 20 times loses to the unvoted pairs beside it.
    @Test func theProjectionsSelectorFindsEachPairsVotesInTheTallies() throws {
        var sample = SampleEvents(seed: 9, films: 12, sets: 3, voters: 2)
        var catalogue = Catalogue()
        var base = Tallies()
        for event in sample.catalogueEvents() {
            catalogue.apply(event)
            base.apply(event)
        }
        let sets = catalogue.sets.keys.sorted()
        var configuration = PairSelector.Configuration()
        configuration.exploration = 0
        func shareOfFirstPair(votedOn pairs: [(Int, Int)]) throws -> Double {
            var tallies = base
            for (a, b) in pairs {
                for _ in 0..<20 {
                    tallies.apply(EventEnvelope(occurredAt: .now, event: .voteCast(try VoteCast(
                        voteID: .random(), userID: .random(), setA: sets[a], setB: sets[b], winner: .setA, ticketID: .random(), castAt: .now))))
                }
            }
            let selector = PairSelector(catalogue: catalogue, elo: EloRatings(), leaderboard: .empty, tallies: tallies, configuration: configuration)
            var random = SplitMix64(seed: 4)
            let picks = try (0..<300).map { _ in
                let pair = try #require(selector.next(excluding: [], using: &random))
                return PairKey(pair.0, pair.1)
            }
            return Double(picks.filter { $0 == PairKey(sets[0], sets[1]) }.count) / Double(picks.count)
        }
        #expect(try shareOfFirstPair(votedOn: [(0, 1)]) == 0)
        // Now the other two pairs carry the votes: anchored on either of the first two sets, it wins.
        #expect(try shareOfFirstPair(votedOn: [(0, 2), (1, 2)]) > 0.5)
    }

    /// Without exploration the partner is the best-scoring set in the anchor's window (ties to the higher
    /// ranked), however many of the window's votes the selector skipped looking up: the information a vote
    /// adds about the pair's difference, its variance from the bootstrap deviations (or, for a set without
    /// them, from the half-widths), shrunk by the votes since the fit, times genre diversity.
    @Test func choosesTheBestScoringPartnerInTheAnchorsWindow() throws {
        var random = SplitMix64(seed: 11)
        let ids = Self.sets(60)
        let candidates = ids.enumerated().map { index, id in
            PairSelector.Candidate(
                set: id, rating: Double(Int.random(in: 1300...1700, using: &random)), halfWidth: [50.0, 100, 200][Int.random(in: 0..<3, using: &random)],
                genres: UInt64.random(in: 0..<64, using: &random),
                deviations: index % 7 == 0 ? [] : (0..<10).map { _ in Float.random(in: -0.5...0.5, using: &random) })
        }
        var votes: [PairKey: Int] = [:]
        for a in ids { for b in ids where a < b { votes[PairKey(a, b)] = Int.random(in: 0...3, using: &random) } }
        let frozen = votes
        var configuration = PairSelector.Configuration()
        configuration.exploration = 0
        configuration.window = 6
        let selector = PairSelector(candidates: candidates, configuration: configuration) { frozen[PairKey($0, $1)] ?? 0 }
        let ranked = candidates.sorted { ($0.rating, $0.set) > ($1.rating, $1.set) }
        for _ in 0..<500 {
            let (a, b) = try #require(selector.next(excluding: [], using: &random))
            let anchor = try #require(ranked.firstIndex { $0.set == a })
            let window = Array(max(0, anchor - 6)...min(ranked.count - 1, anchor + 6)).filter { $0 != anchor }
            let scores = window.map { index -> Double in
                let (x, y) = (ranked[anchor], ranked[index])
                let p = 1 / (1 + pow(10, (y.rating - x.rating) / 400))
                let union = (x.genres | y.genres).nonzeroBitCount
                let distance = union == 0 ? 0 : 1 - Double((x.genres & y.genres).nonzeroBitCount) / Double(union)
                let variance: Double
                if x.deviations.isEmpty || y.deviations.isEmpty {
                    let perTheta = 1.96 * 400 / log(10.0)
                    variance = (x.halfWidth * x.halfWidth + y.halfWidth * y.halfWidth) / (perTheta * perTheta)
                } else {
                    variance = Double(zip(x.deviations, y.deviations).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)) / 9
                }
                let information = p * (1 - p) * variance
                return information * (0.5 + 0.5 * distance) / (1 + Double(frozen[PairKey(x.set, y.set)]!) * information)
            }
            let best = window[scores.indices.max { (scores[$0], -$0) < (scores[$1], -$1) }!]
            #expect(ranked[best].set == b)
        }
    }

    @Test func neverOffersAnExcludedPairAndIsDeterministicGivenASeed() throws {
        let ids = Self.sets(12)
        let candidates = ids.enumerated().map { index, id in
            PairSelector.Candidate(set: id, rating: 1500 + Double(index) * 10, halfWidth: 100, genres: UInt64(1) << UInt64(index % 5))
        }
        let selector = PairSelector(candidates: candidates) { _, _ in 0 }
        var excluded = Set<PairKey>()
        for a in ids.indices {
            for b in ids.indices where a < b && !(a == 2 && b == 9) { excluded.insert(PairKey(ids[a], ids[b])) }
        }
        var random = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let pair = selector.next(excluding: Array(excluded), using: &random)
            #expect(pair.map { PairKey($0.0, $0.1) } == PairKey(ids[2], ids[9]))
        }
        excluded.insert(PairKey(ids[2], ids[9]))
        #expect(selector.next(excluding: Array(excluded), using: &random) == nil)

        // A voter's recent pairs as an array (as the gateway passes them): none is ever offered again.
        let recent = (0..<30).map { _ in
            let a = Int.random(in: 0..<ids.count, using: &random), b = (a + Int.random(in: 1..<ids.count, using: &random)) % ids.count
            return PairKey(ids[a], ids[b])
        }
        for _ in 0..<500 {
            let pair = try #require(selector.next(excluding: recent, using: &random))
            #expect(!recent.contains(PairKey(pair.0, pair.1)))
        }

        var first = SplitMix64(seed: 42), second = SplitMix64(seed: 42)
        let a = (0..<200).map { _ in selector.next(excluding: [], using: &first).map { PairKey($0.0, $0.1) } }
        let b = (0..<200).map { _ in selector.next(excluding: [], using: &second).map { PairKey($0.0, $0.1) } }
        #expect(a == b)
        #expect(Set(a.compactMap { $0 }).count > 20, "exploration and uncertainty spread the choices")
    }

    @Test func prefersPairsOfDifferentGenres() throws {
        let ids = Self.sets(3)
        let candidates = [
            PairSelector.Candidate(set: ids[0], rating: 1500, halfWidth: 100, genres: 0b0011),
            PairSelector.Candidate(set: ids[1], rating: 1505, halfWidth: 100, genres: 0b1100),
            PairSelector.Candidate(set: ids[2], rating: 1495, halfWidth: 100, genres: 0b0011),
        ]
        var configuration = PairSelector.Configuration()
        configuration.exploration = 0
        let selector = PairSelector(candidates: candidates, configuration: configuration) { _, _ in 0 }
        var random = SplitMix64(seed: 9)
        for _ in 0..<100 {
            let chosen = try #require(selector.next(excluding: [], using: &random))
            #expect(chosen.0 == ids[1] || chosen.1 == ids[1], "the pair of one genre was chosen over a diverse pair")
        }
    }
}
