import Foundation
import MovieMashCore

/// Pairwise comparisons of `itemCount` items: for each pair, how often each side won.
public struct ComparisonGraph: Sendable {
    public let itemCount: Int
    public var first: [Int32] = []
    public var second: [Int32] = []
    public var firstWins: [Double] = []
    public var secondWins: [Double] = []

    public init(itemCount: Int) {
        self.itemCount = itemCount
    }

    public init<Item>(_ counts: PairCounts<Item>) {
        itemCount = counts.items.count
        for pair in counts.comparisons {
            add(pair.low, pair.high, wins: Double(pair.lowWins), Double(pair.highWins))
        }
    }

    public mutating func add(_ a: Int32, _ b: Int32, wins aWins: Double, _ bWins: Double) {
        first.append(a)
        second.append(b)
        firstWins.append(aWins)
        secondWins.append(bWins)
    }
}

/// Bradley–Terry strengths by maximum a posteriori estimation, with bootstrap confidence intervals.
///
/// P(i beats j) = πᵢ / (πᵢ + πⱼ), θ = log π. An item that never lost (or never won) has no finite
/// maximum-likelihood estimate, so every item also plays `priorGames` virtual games won and
/// `priorGames` lost against a fixed reference of strength 1 (θ = 0, rating = `base`). The objective is
/// then strictly convex with one finite optimum, it pulls sparse items towards the reference rather than
/// to ±∞, and it fixes the scale's origin. Minimized:
/// `Σ wᵢⱼ·log(1 + e^(θⱼ−θᵢ)) + priorGames·Σ [log(1 + e^(−θᵢ)) + log(1 + e^(θᵢ))]`.
///
/// The fit iterates πᵢ ← Σⱼ wᵢⱼ·πⱼ/(πᵢ+πⱼ) / Σⱼ wⱼᵢ/(πᵢ+πⱼ) (the reference among the j), whose fixed
/// point is the optimum and which converges far faster than Zermelo's classic iteration (Newman, 2023).
/// Intervals come from a Poisson bootstrap: each round draws every pair's win counts as Poisson variates of
/// the observed counts (resampling the votes), refits from the full fit, and the interval is the central
/// percentile range of the rounds. Seeded: the same graph and configuration give the same intervals.
public enum BradleyTerry {
    public struct Configuration: Sendable, Equatable {
        public var priorGames = 1.0
        /// Stop when no log-strength moves more than this in an iteration.
        public var tolerance = 1e-10
        public var bootstrapTolerance = 1e-6
        public var maxIterations = 100_000
        public var bootstrapRounds = 100
        public var confidence = 0.95
        public var seed: UInt64 = 0x4D4D_4254
        /// Ratings are `base + θ·scale/ln 10`, on the Elo scale.
        public var scale = 400.0
        public var base = 1500.0

        public init() {}

        var bytes: [UInt8] {
            var writer = SnapshotWriter()
            for value in [priorGames, tolerance, bootstrapTolerance, confidence, scale, base] { writer.write(value) }
            writer.write(UInt64(maxIterations))
            writer.write(UInt64(bootstrapRounds))
            writer.write(seed)
            return writer.bytes
        }
    }

    /// One item's estimate.
    public struct Standing: Sendable, Equatable {
        public var item: Int32
        public var theta: Double
        public var rating: Double
        public var lower: Double
        public var upper: Double
        /// 1 + the number of items whose lower bound is above this item's upper bound.
        public var rank: Int
        public var halfWidth: Double { (upper - lower) / 2 }
    }

    /// The MAP log-strengths, and the iterations it took.
    public static func fit(
        _ graph: ComparisonGraph, configuration: Configuration = Configuration(), start: [Double]? = nil
    ) -> (theta: [Double], iterations: Int) {
        fit(graph, firstWins: graph.firstWins, secondWins: graph.secondWins, prior: configuration.priorGames,
            tolerance: configuration.tolerance, maxIterations: configuration.maxIterations, start: start)
    }

    static func fit(
        _ graph: ComparisonGraph, firstWins: [Double], secondWins: [Double], prior: Double, tolerance: Double,
        maxIterations: Int, start: [Double]?
    ) -> (theta: [Double], iterations: Int) {
        let n = graph.itemCount
        var strength = (start ?? [Double](repeating: 0, count: n)).map { exp($0) }
        var numerator = [Double](repeating: 0, count: n), denominator = [Double](repeating: 0, count: n)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            for i in 0..<n {
                let share = prior / (strength[i] + 1)
                numerator[i] = share
                denominator[i] = share
            }
            graph.first.withUnsafeBufferPointer { first in
                graph.second.withUnsafeBufferPointer { second in
                    for k in 0..<first.count {
                        let i = Int(first[k]), j = Int(second[k])
                        let inverse = 1 / (strength[i] + strength[j])
                        let wij = firstWins[k], wji = secondWins[k]
                        numerator[i] += wij * strength[j] * inverse
                        denominator[i] += wji * inverse
                        numerator[j] += wji * strength[i] * inverse
                        denominator[j] += wij * inverse
                    }
                }
            }
            var largestStep = 0.0
            for i in 0..<n {
                let next = numerator[i] / denominator[i]
                largestStep = max(largestStep, abs(log(next / strength[i])))
                strength[i] = next
            }
            if largestStep < tolerance { break }
        }
        return (strength.map { log($0) }, iterations)
    }

    /// Strengths, intervals and ranks of every item; bootstrap rounds run on all cores.
    public static func standings(_ graph: ComparisonGraph, configuration: Configuration = Configuration()) async -> [Standing] {
        let estimate = fit(graph, configuration: configuration).theta
        let rounds = configuration.bootstrapRounds
        let workers = max(1, min(rounds, ProcessInfo.processInfo.activeProcessorCount))
        var samples = [[Double]](repeating: [], count: rounds)
        await withTaskGroup(of: [(Int, [Double])].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    stride(from: worker, to: rounds, by: workers).map { round in
                        (round, bootstrapRound(graph, round: round, start: estimate, configuration: configuration))
                    }
                }
            }
            for await results in group {
                for (round, theta) in results { samples[round] = theta }
            }
        }
        let perRating = configuration.scale / log(10.0)
        let tail = (1 - configuration.confidence) / 2
        var standings = (0..<graph.itemCount).map { item -> Standing in
            var values = samples.map { $0[item] }
            values.sort()
            let lower = quantile(values, tail), upper = quantile(values, 1 - tail)
            return Standing(
                item: Int32(item), theta: estimate[item], rating: configuration.base + estimate[item] * perRating,
                lower: configuration.base + lower * perRating, upper: configuration.base + upper * perRating, rank: 0)
        }
        let lowers = standings.map(\.lower).sorted()
        for index in standings.indices {
            let upper = standings[index].upper
            var low = 0, high = lowers.count
            while low < high {
                let middle = (low + high) / 2
                if lowers[middle] > upper { high = middle } else { low = middle + 1 }
            }
            standings[index].rank = 1 + lowers.count - low
        }
        return standings
    }

    static func bootstrapRound(_ graph: ComparisonGraph, round: Int, start: [Double], configuration: Configuration) -> [Double] {
        var random = SplitMix64(seed: configuration.seed ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15))
        let firstWins = graph.firstWins.map { Poisson.sample(mean: $0, using: &random) }
        let secondWins = graph.secondWins.map { Poisson.sample(mean: $0, using: &random) }
        return fit(graph, firstWins: firstWins, secondWins: secondWins, prior: configuration.priorGames,
                   tolerance: configuration.bootstrapTolerance, maxIterations: configuration.maxIterations, start: start).theta
    }

    /// Linear interpolation between the order statistics around `fraction` (sorted input).
    static func quantile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = fraction * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }
}

/// Poisson variates for the bootstrap: exact inversion of a precomputed distribution for whole means up
/// to 64 (almost every pair's count), a normal approximation (rounded, at least 0) above.
enum Poisson {
    static let tables: [[Double]] = (0...64).map { mean in
        guard mean > 0 else { return [1] }
        var cumulative: [Double] = [], probability = exp(-Double(mean)), total = 0.0, k = 0
        while total < 1 - 1e-15, k < 4 * mean + 40 {
            total += probability
            cumulative.append(total)
            k += 1
            probability *= Double(mean) / Double(k)
        }
        return cumulative
    }

    static func sample(mean: Double, using random: inout SplitMix64) -> Double {
        guard mean > 0 else { return 0 }
        let uniform = Double(random.next() >> 11) * 0x1p-53
        if mean <= 64, mean == mean.rounded() {
            let table = tables[Int(mean)]
            var low = 0, high = table.count - 1
            while low < high {
                let middle = (low + high) / 2
                if table[middle] > uniform { high = middle } else { low = middle + 1 }
            }
            return Double(low)
        }
        let other = max(Double(random.next() >> 11) * 0x1p-53, 0x1p-53)
        let normal = (-2 * log(other)).squareRoot() * cos(2 * Double.pi * uniform)
        return max(0, (mean + mean.squareRoot() * normal).rounded())
    }
}
