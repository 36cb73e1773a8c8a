import Recommender
import Foundation
import MovieMashCore
import Synchronization

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
        /// Bootstrap rounds stop earlier: a change of 1e-4 in θ is 0.017 rating points, far below the
        /// spread between rounds that the interval measures (tens of points).
        public var bootstrapTolerance = 1e-4
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
        /// Comparisons the item took part in (for a set, the votes on it).
        public var comparisons: Int
        public var halfWidth: Double { (upper - lower) / 2 }
    }

    /// The MAP log-strengths, and the iterations it took.
    public static func fit(
        _ graph: ComparisonGraph, configuration: Configuration = Configuration(), start: [Double]? = nil
    ) -> (theta: [Double], iterations: Int) {
        fit(itemCount: graph.itemCount, first: graph.first, second: graph.second, firstWins: graph.firstWins,
            secondWins: graph.secondWins, prior: configuration.priorGames, tolerance: configuration.tolerance,
            maxIterations: configuration.maxIterations, start: start)
    }

    static func fit(
        itemCount n: Int, first: [Int32], second: [Int32], firstWins: [Double], secondWins: [Double], prior: Double,
        tolerance: Double, maxIterations: Int, start: [Double]?
    ) -> (theta: [Double], iterations: Int) {
        // Per item, side by side (one cache line per item touched): strength π, the two sums, and θ = log π.
        var items = [Double](repeating: 0, count: 4 * n)
        var next = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let theta = start?[i] ?? 0
            items[4 * i] = exp(theta)
            items[4 * i + 3] = theta
        }
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            var largestStep = 0.0
            items.withUnsafeMutableBufferPointer { items in
                next.withUnsafeMutableBufferPointer { next in
                    for i in 0..<n {
                        let share = prior / (items[4 * i] + 1)
                        items[4 * i + 1] = share
                        items[4 * i + 2] = share
                    }
                    first.withUnsafeBufferPointer { first in
                        second.withUnsafeBufferPointer { second in
                            firstWins.withUnsafeBufferPointer { firstWins in
                                secondWins.withUnsafeBufferPointer { secondWins in
                                    for k in 0..<first.count {
                                        let i = 4 * Int(first[k]), j = 4 * Int(second[k])
                                        let si = items[i], sj = items[j]
                                        let inverse = 1 / (si + sj)
                                        let wij = firstWins[k] * inverse, wji = secondWins[k] * inverse
                                        items[i + 1] += wij * sj
                                        items[i + 2] += wji
                                        items[j + 1] += wji * si
                                        items[j + 2] += wij
                                    }
                                }
                            }
                        }
                    }
                    for i in 0..<n { next[i] = log(items[4 * i + 1] / items[4 * i + 2]) }
                    // The data terms do not change when every θ moves by the same amount, so only the weak
                    // prior pins the common level, and the iteration would crawl along it (hundreds of
                    // iterations). Solving exactly for the best common shift each time removes that slow
                    // direction; at the optimum the shift is 0, so the fixed point is unchanged.
                    let shift = Self.priorShift(next)
                    for i in 0..<n {
                        let theta = next[i] + shift
                        largestStep = max(largestStep, abs(theta - items[4 * i + 3]))
                        items[4 * i + 3] = theta
                        items[4 * i] = exp(theta)
                    }
                }
            }
            if largestStep < tolerance { break }
        }
        return ((0..<n).map { items[4 * $0 + 3] }, iterations)
    }

    /// The c with Σ tanh((θᵢ + c)/2) = 0: where the prior's gradient along a common shift vanishes (Newton;
    /// after the first iterations c is tiny and one or two steps find it).
    static func priorShift(_ theta: UnsafeMutableBufferPointer<Double>) -> Double {
        var shift = 0.0
        for _ in 0..<50 {
            var value = 0.0, slope = 0.0
            for t in theta {
                let h = tanh((t + shift) / 2)
                value += h
                slope += (1 - h * h) / 2
            }
            let step = value / slope
            shift -= step
            if abs(step) < 1e-14 { break }
        }
        return shift
    }

    /// Strengths, intervals and ranks of every item; the fit and the bootstrap rounds run on background
    /// threads at `priority`, the rounds on all cores.
    public static func standings(
        _ graph: ComparisonGraph, configuration: Configuration = Configuration(), priority: BackgroundThreads.Priority = .low
    ) async -> [Standing] {
        let estimate = await BackgroundThreads.value(priority: priority, name: "mm-bt-fit") { fit(graph, configuration: configuration).theta }
        let rounds = configuration.bootstrapRounds
        let workers = max(1, min(rounds, ProcessInfo.processInfo.activeProcessorCount))
        let drawn = Mutex([[Double]](repeating: [], count: rounds))
        await BackgroundThreads.run(workers: workers, priority: priority, name: "mm-bt-bootstrap") { worker, cancellation in
            for round in stride(from: worker, to: rounds, by: workers) where !cancellation.isCancelled {
                let theta = bootstrapRound(graph, round: round, start: estimate, configuration: configuration)
                drawn.withLock { $0[round] = theta }
            }
        }
        // Cancelled part way, some rounds are missing: the caller throws the standings away.
        let samples = drawn.withLock { $0 }.filter { !$0.isEmpty }
        guard !samples.isEmpty else { return [] }
        let perRating = configuration.scale / log(10.0)
        let tail = (1 - configuration.confidence) / 2
        var comparisons = [Double](repeating: 0, count: graph.itemCount)
        for index in graph.first.indices {
            let games = graph.firstWins[index] + graph.secondWins[index]
            comparisons[Int(graph.first[index])] += games
            comparisons[Int(graph.second[index])] += games
        }
        var standings = (0..<graph.itemCount).map { item -> Standing in
            var values = samples.map { $0[item] }
            values.sort()
            let lower = quantile(values, tail), upper = quantile(values, 1 - tail)
            return Standing(
                item: Int32(item), theta: estimate[item], rating: configuration.base + estimate[item] * perRating,
                lower: configuration.base + lower * perRating, upper: configuration.base + upper * perRating, rank: 0,
                comparisons: Int(comparisons[item].rounded()))
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
        var first: [Int32] = [], second: [Int32] = [], firstWins: [Double] = [], secondWins: [Double] = []
        first.reserveCapacity(graph.first.count)
        second.reserveCapacity(graph.first.count)
        firstWins.reserveCapacity(graph.first.count)
        secondWins.reserveCapacity(graph.first.count)
        let poisson = Poisson()
        for k in graph.first.indices {
            let a = poisson.sample(mean: graph.firstWins[k], using: &random)
            let b = poisson.sample(mean: graph.secondWins[k], using: &random)
            // A pair drawn with no votes either way contributes nothing to the fit.
            guard a + b > 0 else { continue }
            first.append(graph.first[k])
            second.append(graph.second[k])
            firstWins.append(a)
            secondWins.append(b)
        }
        return fit(itemCount: graph.itemCount, first: first, second: second, firstWins: firstWins, secondWins: secondWins,
                   prior: configuration.priorGames, tolerance: configuration.bootstrapTolerance,
                   maxIterations: configuration.maxIterations, start: start).theta
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
struct Poisson {
    /// Cumulative probabilities scaled to 2⁶⁴ (compared with a raw random word, no conversion), every table
    /// one after another; `starts[m]..<starts[m + 1]` is mean m's.
    private static let layout: (thresholds: [UInt64], starts: [Int]) = {
        var thresholds: [UInt64] = [.max], starts = [0, 1]
        for mean in 1...64 {
            var probability = exp(-Double(mean)), total = 0.0, k = 0
            while total < 1 - 1e-15, k < 4 * mean + 40 {
                total += probability
                thresholds.append(total >= 1 ? .max : UInt64(total * 0x1p64))
                k += 1
                probability *= Double(mean) / Double(k)
            }
            thresholds[thresholds.count - 1] = .max
            starts.append(thresholds.count)
        }
        return (thresholds, starts)
    }()

    private let thresholds: [UInt64]
    private let starts: [Int]

    /// Fetched once per bootstrap round: the tables are then read without any global access.
    init() {
        (thresholds, starts) = Self.layout
    }

    @inline(__always)
    func sample(mean: Double, using random: inout SplitMix64) -> Double {
        guard mean > 0 else { return 0 }
        let word = random.next()
        if mean <= 64, let whole = Int(exactly: mean) {
            // Scanning from 0 takes about mean + 1 steps, and almost every count is 1 or 2.
            let start = starts[whole]
            var k = start
            while thresholds[k] <= word, thresholds[k] != .max { k += 1 }
            return Double(k - start)
        }
        let uniform = Double(word >> 11) * 0x1p-53
        let other = max(Double(random.next() >> 11) * 0x1p-53, 0x1p-53)
        let normal = (-2 * log(other)).squareRoot() * cos(2 * Double.pi * uniform)
        return max(0, (mean + mean.squareRoot() * normal).rounded())
    }
}
