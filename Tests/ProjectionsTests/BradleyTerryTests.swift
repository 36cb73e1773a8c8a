import Foundation
import MovieMashCore
@testable import Projections
import Testing

/// Simulated votes between `truth.count` items whose true log-strengths are `truth`.
func simulatedGraph(truth: [Double], votes: Int, seed: UInt64) -> ComparisonGraph {
    var random = SplitMix64(seed: seed)
    var wins: [Int: [Int: Double]] = [:]
    for _ in 0..<votes {
        let a = Int.random(in: 0..<truth.count, using: &random)
        var b = Int.random(in: 0..<(truth.count - 1), using: &random)
        if b >= a { b += 1 }
        let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(truth[b] - truth[a]))
        let (winner, loser) = aWins ? (a, b) : (b, a)
        wins[winner, default: [:]][loser, default: 0] += 1
    }
    var graph = ComparisonGraph(itemCount: truth.count)
    for i in 0..<truth.count {
        for j in (i + 1)..<truth.count where wins[i]?[j] != nil || wins[j]?[i] != nil {
            graph.add(Int32(i), Int32(j), wins: wins[i]?[j] ?? 0, wins[j]?[i] ?? 0)
        }
    }
    return graph
}

@Suite struct BradleyTerryTests {
    @Test func itemsThatNeverLostOrNeverWonGetFiniteOrderedEstimates() {
        var graph = ComparisonGraph(itemCount: 3)
        graph.add(0, 1, wins: 5, 0)
        graph.add(1, 2, wins: 4, 1)
        graph.add(0, 2, wins: 3, 0)
        let theta = BradleyTerry.fit(graph).theta
        #expect(theta.allSatisfy { $0.isFinite })
        #expect(theta[0] > theta[1] && theta[1] > theta[2])
    }

    @Test func theFitIsAStationaryPointOfThePenalizedLikelihood() {
        let truth = (0..<25).map { Double($0 - 12) * 0.2 }
        let graph = simulatedGraph(truth: truth, votes: 3000, seed: 5)
        let theta = BradleyTerry.fit(graph).theta
        var gradient = theta.map { 1 / (1 + exp(-$0)) - 1 / (1 + exp($0)) }
        for k in graph.first.indices {
            let i = Int(graph.first[k]), j = Int(graph.second[k])
            let pij = 1 / (1 + exp(theta[j] - theta[i]))
            let n = graph.firstWins[k] + graph.secondWins[k]
            gradient[i] -= graph.firstWins[k] - n * pij
            gradient[j] += graph.firstWins[k] - n * pij
        }
        #expect(gradient.map { abs($0) }.max()! < 1e-7)
    }

    @Test func intervalsCoverTheTruthAndRanksFollowFromThem() async {
        let truth = (0..<30).map { Double($0 - 15) * 0.15 }
        let graph = simulatedGraph(truth: truth, votes: 6000, seed: 11)
        var configuration = BradleyTerry.Configuration()
        configuration.bootstrapRounds = 200
        let standings = await BradleyTerry.standings(graph, configuration: configuration)
        let perRating = configuration.scale / log(10.0)
        let covered = standings.filter { standing in
            let true_ = configuration.base + truth[Int(standing.item)] * perRating
            return standing.lower <= true_ && true_ <= standing.upper
        }.count
        #expect(covered >= 25, "only \(covered) of 30 intervals hold the true rating")
        for standing in standings {
            #expect(standing.lower < standing.rating && standing.rating < standing.upper)
            let above = standings.filter { $0.lower > standing.upper }.count
            #expect(standing.rank == 1 + above)
            let possiblyAbove = standings.filter { $0.item != standing.item && $0.upper > standing.lower }.count
            #expect(standing.worstRank == 1 + possiblyAbove && standing.rank <= standing.position && standing.position <= standing.worstRank)
            #expect(standing.position == 1 + standings.filter { $0.rating > standing.rating }.count)
        }
        #expect(standings.map(\.worstRank).max()! > standings.map(\.rank).max()!, "the range says more than the rank alone")
        let again = await BradleyTerry.standings(graph, configuration: configuration)
        #expect(again == standings, "the same seed gives the same intervals")
    }

    /// A refit after 1% more votes, from the previous fit's solutions, is the fresh fit (to the rounds'
    /// tolerance) for half the iterations: each round's weights changed only on the pairs that got votes.
    /// Votes between neighbours in rank, as a selector makes them: a weakly linked graph, slow to converge.
    @Test func aRefitFromThePreviousSolutionsIsTheFreshFitForFewerIterations() async {
        var random = SplitMix64(seed: 21)
        let n = 400
        let truth = (0..<n).map { Double($0 - n / 2) * 0.01 }
        var counts = PairCounts<Int>()
        for item in 0..<n { _ = counts.intern(item) }
        func vote() {
            let a = Int.random(in: 0..<n, using: &random), b = min(n - 1, max(0, a + Int.random(in: -30...30, using: &random)))
            guard a != b else { return }
            let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(truth[b] - truth[a]))
            counts.record(winner: Int32(aWins ? a : b), loser: Int32(aWins ? b : a))
        }
        for _ in 0..<40_000 { vote() }
        let before = ComparisonGraph(counts)
        for _ in 0..<400 { vote() }
        let after = ComparisonGraph(counts)
        var configuration = BradleyTerry.Configuration()
        configuration.bootstrapRounds = 20
        let previous = await BradleyTerry.refit(before, configuration: configuration, previous: nil)
        let fresh = await BradleyTerry.refit(after, configuration: configuration, previous: nil)
        let warm = await BradleyTerry.refit(after, configuration: configuration, previous: previous.solutions)
        var largest = 0.0
        for (got, want) in zip(warm.standings, fresh.standings) {
            #expect(abs(got.rating - want.rating) < 1e-6)
            largest = max(largest, abs(got.lower - want.lower), abs(got.upper - want.upper))
        }
        // Rounds stop at a tolerance, from different starts: their bounds agree to about a rating point,
        // against half-widths near 50.
        #expect(largest < 2, "bounds differ by up to \(largest) rating points")
        #expect(Double(warm.solutions.iterations) < 0.7 * Double(fresh.solutions.iterations), "warm \(warm.solutions.iterations), fresh \(fresh.solutions.iterations)")
    }

    /// A bootstrap weight depends on its round, pair and side and the pair's count only, and grows with the
    /// count; over many pairs its mean is the count.
    @Test func bootstrapWeightsAreStableAcrossRefitsAndPoissonDistributed() {
        let poisson = Poisson()
        for mean in [1.0, 3, 17, 64, 65, 300] {
            var total = 0.0
            for pair in UInt64(0)..<20_000 {
                let draw = poisson.sample(mean: mean, seed: 7, pair: pair, side: 0)
                #expect(draw == poisson.sample(mean: mean, seed: 7, pair: pair, side: 0))
                #expect(draw <= poisson.sample(mean: mean + 1, seed: 7, pair: pair, side: 0), "a pair's weight never shrinks as it gets votes")
                total += draw
            }
            #expect(abs(total / 20_000 - mean) < 4 * (mean / 20_000).squareRoot() + 0.5, "mean \(mean): \(total / 20_000)")
        }
        let a = (0..<1000).map { poisson.sample(mean: 2, seed: 7, pair: UInt64($0), side: 0) }
        let b = (0..<1000).map { poisson.sample(mean: 2, seed: 7, pair: UInt64($0), side: 1) }
        #expect(a != b, "the two sides of a pair are drawn apart")
    }
}
