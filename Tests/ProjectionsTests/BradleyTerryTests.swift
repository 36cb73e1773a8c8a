import Foundation
import MovieMashCore
import Projections
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
        }
        let again = await BradleyTerry.standings(graph, configuration: configuration)
        #expect(again == standings, "the same seed gives the same intervals")
    }
}
