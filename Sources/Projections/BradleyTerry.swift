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

    /// The pairs of `counts` in its table's order: the fit's sums then round in that order, and the
    /// bootstrap weights follow each pair, not its place.
    public init<Item>(_ counts: PairCounts<Item>) {
        itemCount = counts.items.count
        first.reserveCapacity(counts.pairCount)
        second.reserveCapacity(counts.pairCount)
        firstWins.reserveCapacity(counts.pairCount)
        secondWins.reserveCapacity(counts.pairCount)
        counts.forEachComparison { low, high, lowWins, highWins in add(low, high, wins: Double(lowWins), Double(highWins)) }
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
/// point is the optimum and which converges far faster than Zermelo's classic iteration (Newman, 2023),
/// with Anderson acceleration on top.
/// Intervals come from a Poisson bootstrap: each round draws every pair's win counts as Poisson variates of
/// the observed counts (resampling the votes) and refits; the interval is the estimate ± z standard
/// deviations of the rounds. Not the rounds' percentile range: the rounds are themselves shrunk towards the
/// reference, so percentiles shrink twice, and in simulations with known strengths they held the truth
/// less often than the confidence promises (strong and weak sets most), where centring on the estimate
/// holds it as often as promised (`CalibrationTests`). Each draw is the Poisson quantile of a uniform hashed from (seed, round, pair, side), not a
/// step of one stream: a round's weights change only on the pairs whose counts changed, so a refit after a
/// few more votes starts every round from its previous solution and needs only a few iterations. Seeded:
/// the same graph and configuration give the same intervals.
public enum BradleyTerry {
    public struct Configuration: Sendable, Equatable {
        public var priorGames = 1.0
        /// Stop when no log-strength moves more than this in an iteration.
        public var tolerance = 1e-10
        /// Bootstrap rounds stop earlier, when no θ moves more than this in an iteration: on a weakly
        /// linked graph a round is then within about a rating point of its exact solution, far below the
        /// spread between rounds that the interval measures (tens of points).
        public var bootstrapTolerance = 1e-4
        public var maxIterations = 100_000
        public var bootstrapRounds = 100
        public var confidence = 0.95
        public var seed: UInt64 = 0x4D4D_4254
        /// The prior standard deviation σ of a film's log-strength on the film board (b ~ N(0, σ²)). The
        /// default π/√12 gives a set of four films the prior variance 4σ² = π²/3, which is the variance
        /// of the set board's prior (one virtual win and one virtual loss against the reference: a logistic
        /// density of scale 1), so both boards start from the same belief about a set.
        public var filmPriorDeviation = Double.pi / 12.0.squareRoot()
        /// Ratings are `base + θ·scale/ln 10`, on the Elo scale.
        public var scale = 400.0
        public var base = 1500.0

        public init() {}

        var bytes: [UInt8] {
            var writer = SnapshotWriter()
            for value in [priorGames, tolerance, bootstrapTolerance, confidence, scale, base, filmPriorDeviation] { writer.write(value) }
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
        /// 1 + the number of items whose lower bound is above this item's upper bound: the best place the
        /// intervals allow.
        public var rank: Int
        /// 1 + the number of other items whose upper bound is above this item's lower bound: the worst place
        /// the intervals allow.
        public var worstRank: Int
        /// Place in rating order (1 = best; equal ratings by item index).
        public var position: Int
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
        var map = FixedPointMap(itemCount: n, first: first, second: second, firstWins: firstWins, secondWins: secondWins, prior: prior)
        var theta = startingPoint(start, count: n)
        var acceleration = Anderson(memory: 6, count: n)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let mapped = map(theta)
            var largestStep = 0.0
            for i in 0..<n { largestStep = max(largestStep, abs(mapped[i] - theta[i])) }
            if largestStep < tolerance {
                theta = mapped
                break
            }
            theta = acceleration.next(theta, mapped: mapped, step: largestStep)
        }
        return (theta, iterations)
    }

    /// One iteration of the fit: θ ↦ log(Σⱼ wᵢⱼ·πⱼ/(πᵢ+πⱼ) / Σⱼ wⱼᵢ/(πᵢ+πⱼ)) (the reference among the j),
    /// then the best common shift. Its fixed point is the optimum.
    struct FixedPointMap {
        let n: Int
        let first: [Int32], second: [Int32], firstWins: [Double], secondWins: [Double]
        let prior: Double
        /// Per item, side by side (one cache line per item touched): strength π and the two sums.
        private var items: [Double]

        init(itemCount: Int, first: [Int32], second: [Int32], firstWins: [Double], secondWins: [Double], prior: Double) {
            n = itemCount
            (self.first, self.second, self.firstWins, self.secondWins, self.prior) = (first, second, firstWins, secondWins, prior)
            items = [Double](repeating: 0, count: 4 * itemCount)
        }

        mutating func callAsFunction(_ theta: [Double]) -> [Double] {
            var next = [Double](repeating: 0, count: n)
            let (n, prior) = (self.n, self.prior)
            items.withUnsafeMutableBufferPointer { items in
                next.withUnsafeMutableBufferPointer { next in
                    for i in 0..<n {
                        let strength = exp(theta[i])
                        items[4 * i] = strength
                        let share = prior / (strength + 1)
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
                    let shift = BradleyTerry.priorShift(next)
                    for i in 0..<n { next[i] += shift }
                }
            }
            return next
        }
    }

    /// Anderson acceleration of a fixed-point iteration x ↦ g(x) (Walker & Ni, 2011): the next point
    /// mixes the last `memory` iterates to cancel the slowest directions of the iteration (a weakly linked
    /// comparison graph converges linearly, slowly, along them). Only where the iteration is, never what
    /// it converges to, depends on it: the fixed point and the stopping rule are the plain iteration's.
    /// It restarts from the plain step whenever a step grows past the best seen tenfold.
    struct Anderson {
        let memory: Int
        let count: Int
        private var previousPoint: [Double]?
        private var previousResidual: [Double]?
        /// Differences of successive points and of successive residuals g(x) − x, oldest first.
        private var pointChanges: [[Double]] = []
        private var residualChanges: [[Double]] = []
        private var bestStep = Double.infinity

        init(memory: Int, count: Int) {
            self.memory = memory
            self.count = count
        }

        /// The next point after `point`, whose plain step is `mapped` (largest move `step`).
        mutating func next(_ point: [Double], mapped: [Double], step: Double) -> [Double] {
            var residual = [Double](repeating: 0, count: count)
            for i in 0..<count { residual[i] = mapped[i] - point[i] }
            if step > 10 * bestStep {
                pointChanges = []
                residualChanges = []
                bestStep = step
            } else if let previousPoint, let previousResidual {
                pointChanges.append((0..<count).map { point[$0] - previousPoint[$0] })
                residualChanges.append((0..<count).map { residual[$0] - previousResidual[$0] })
                if pointChanges.count > memory {
                    pointChanges.removeFirst()
                    residualChanges.removeFirst()
                }
            }
            bestStep = min(bestStep, step)
            previousPoint = point
            previousResidual = residual
            guard let gamma = leastSquares(residual) else { return mapped }
            var next = mapped
            for (k, weight) in gamma.enumerated() {
                let dx = pointChanges[k], df = residualChanges[k]
                for i in 0..<count { next[i] -= weight * (dx[i] + df[i]) }
            }
            return next
        }

        /// γ minimizing ‖residual − Σ γₖ·residualChangesₖ‖, by the normal equations (a few unknowns, lightly
        /// regularized); nil with no history or when they are singular.
        private func leastSquares(_ residual: [Double]) -> [Double]? {
            let m = residualChanges.count
            guard m > 0 else { return nil }
            var matrix = [Double](repeating: 0, count: m * m), right = [Double](repeating: 0, count: m)
            for a in 0..<m {
                for b in a..<m {
                    var dot = 0.0
                    for i in 0..<count { dot += residualChanges[a][i] * residualChanges[b][i] }
                    matrix[a * m + b] = dot
                    matrix[b * m + a] = dot
                }
                var dot = 0.0
                for i in 0..<count { dot += residualChanges[a][i] * residual[i] }
                right[a] = dot
            }
            let scale = (0..<m).map { matrix[$0 * m + $0] }.max() ?? 0
            guard scale > 0 else { return nil }
            for a in 0..<m { matrix[a * m + a] += 1e-12 * scale }
            // Gaussian elimination with partial pivoting.
            for column in 0..<m {
                let pivot = (column..<m).max { abs(matrix[$0 * m + column]) < abs(matrix[$1 * m + column]) }!
                guard abs(matrix[pivot * m + column]) > 1e-300 else { return nil }
                if pivot != column {
                    for b in 0..<m { matrix.swapAt(pivot * m + b, column * m + b) }
                    right.swapAt(pivot, column)
                }
                for row in (column + 1)..<m {
                    let factor = matrix[row * m + column] / matrix[column * m + column]
                    for b in column..<m { matrix[row * m + b] -= factor * matrix[column * m + b] }
                    right[row] -= factor * right[column]
                }
            }
            var gamma = [Double](repeating: 0, count: m)
            for row in stride(from: m - 1, through: 0, by: -1) {
                var value = right[row]
                for b in (row + 1)..<m { value -= matrix[row * m + b] * gamma[b] }
                gamma[row] = value / matrix[row * m + row]
            }
            return gamma.allSatisfy(\.isFinite) ? gamma : nil
        }
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

    /// What a fit leaves for the next one: the estimate and each bootstrap round's solution, by item index
    /// (items keep their index as more arrive).
    public struct Solutions: Sendable, Equatable {
        public var estimate: [Double] = []
        public var rounds: [[Double]] = []
        /// Iterations the estimate and the rounds took, all told: what a warm start saves.
        public var iterations = 0
        /// Film board only: what the leverages depend on (the team design's sets, by graph index, and the
        /// connected component of each) and each film's leverage, reused while the key stays the same.
        public var leverageKey: [Int32] = []
        public var leverages: [Double] = []

        public init() {}
    }

    /// Strengths, intervals and ranks of every item; the fit and the bootstrap rounds run on background
    /// threads at `priority`, the rounds on all cores.
    public static func standings(
        _ graph: ComparisonGraph, configuration: Configuration = Configuration(), priority: BackgroundThreads.Priority = .low
    ) async -> [Standing] {
        await refit(graph, configuration: configuration, previous: nil, priority: priority).standings
    }

    /// `standings`, starting from `previous` (a fit of fewer votes on the same items, or nil): the estimate
    /// from the previous estimate, each round from its previous solution moved by the estimate's change.
    /// The result does not depend on `previous` beyond the rounds' tolerance. Empty standings when
    /// cancelled part way.
    public static func refit(
        _ graph: ComparisonGraph, configuration: Configuration = Configuration(), previous: Solutions?,
        priority: BackgroundThreads.Priority = .low
    ) async -> (standings: [Standing], solutions: Solutions) {
        let n = graph.itemCount
        let previous = previous.flatMap { $0.estimate.count <= n && $0.rounds.count == configuration.bootstrapRounds ? $0 : nil }
        let (estimate, iterations) = await BackgroundThreads.value(priority: priority, name: "mm-bt-fit") {
            fit(graph, configuration: configuration, start: previous?.estimate)
        }
        let rounds = configuration.bootstrapRounds
        let workers = max(1, min(rounds, ProcessInfo.processInfo.activeProcessorCount))
        let drawn = Mutex(([[Double]](repeating: [], count: rounds), iterations))
        await BackgroundThreads.run(workers: workers, priority: priority, name: "mm-bt-bootstrap") { worker, cancellation in
            for round in stride(from: worker, to: rounds, by: workers) where !cancellation.isCancelled {
                var start = estimate
                if let previous {
                    let before = previous.rounds[round]
                    for i in 0..<min(before.count, previous.estimate.count) { start[i] += before[i] - previous.estimate[i] }
                }
                let (theta, iterations) = bootstrapRound(graph, round: round, start: start, configuration: configuration)
                drawn.withLock {
                    $0.0[round] = theta
                    $0.1 += iterations
                }
            }
        }
        let (samples, total) = drawn.withLock { $0 }
        guard samples.allSatisfy({ !$0.isEmpty }) else { return ([], Solutions()) }
        var solutions = Solutions()
        solutions.estimate = estimate
        solutions.rounds = samples
        solutions.iterations = total
        return (standings(graph, estimate: estimate, samples: samples, configuration: configuration), solutions)
    }

    /// `start` cut or padded with 0 to `count` values (items keep their index as more arrive, and a new
    /// item starts at the reference); all 0 without one.
    static func startingPoint(_ start: [Double]?, count: Int) -> [Double] {
        guard let start else { return [Double](repeating: 0, count: count) }
        return Array(start.prefix(count)) + [Double](repeating: 0, count: max(0, count - start.count))
    }

    /// Ratings, intervals (the estimate ± z standard deviations of the rounds), ranks and comparisons of every item.
    static func standings(_ graph: ComparisonGraph, estimate: [Double], samples: [[Double]], configuration: Configuration) -> [Standing] {
        let perRating = configuration.scale / log(10.0)
        let z = Poisson.normalQuantile(1 - (1 - configuration.confidence) / 2)
        var comparisons = [Double](repeating: 0, count: graph.itemCount)
        for index in graph.first.indices {
            let games = graph.firstWins[index] + graph.secondWins[index]
            comparisons[Int(graph.first[index])] += games
            comparisons[Int(graph.second[index])] += games
        }
        let standings = (0..<graph.itemCount).map { item -> Standing in
            let values = samples.map { $0[item] }
            let mean = values.reduce(0, +) / Double(values.count)
            let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            let lower = estimate[item] - z * spread, upper = estimate[item] + z * spread
            return Standing(
                item: Int32(item), theta: estimate[item], rating: configuration.base + estimate[item] * perRating,
                lower: configuration.base + lower * perRating, upper: configuration.base + upper * perRating, rank: 0,
                worstRank: 0, position: 0, comparisons: Int(comparisons[item].rounded()))
        }
        return ranked(standings)
    }

    /// `standings` with `rank`, `worstRank` and `position` set from their ratings and intervals.
    static func ranked(_ standings: [Standing]) -> [Standing] {
        var standings = standings
        let lowers = standings.map(\.lower).sorted(), uppers = standings.map(\.upper).sorted()
        for index in standings.indices {
            // Items surely better: lower bound above this upper bound. Items possibly better: upper bound
            // above this lower bound, less this item itself (its upper bound is above its lower bound).
            standings[index].rank = 1 + countAbove(standings[index].upper, in: lowers)
            standings[index].worstRank = max(standings[index].rank, countAbove(standings[index].lower, in: uppers))
        }
        let order = standings.indices.sorted { (standings[$0].rating, -$0) > (standings[$1].rating, -$1) }
        for (place, index) in order.enumerated() { standings[index].position = place + 1 }
        return standings
    }

    /// How many of `sorted` are above `value`.
    private static func countAbove(_ value: Double, in sorted: [Double]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] > value { high = middle } else { low = middle + 1 }
        }
        return sorted.count - low
    }

    static func bootstrapRound(
        _ graph: ComparisonGraph, round: Int, start: [Double], configuration: Configuration
    ) -> (theta: [Double], iterations: Int) {
        // Every pair keeps its place (one drawn with no votes either way adds nothing to the sums), so the
        // graph's index arrays are shared rather than copied.
        let count = graph.first.count
        var firstWins = [Double](repeating: 0, count: count), secondWins = [Double](repeating: 0, count: count)
        let poisson = Poisson()
        let roundSeed = configuration.seed ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15)
        graph.first.withUnsafeBufferPointer { first in
            graph.second.withUnsafeBufferPointer { second in
                graph.firstWins.withUnsafeBufferPointer { means in
                    graph.secondWins.withUnsafeBufferPointer { otherMeans in
                        firstWins.withUnsafeMutableBufferPointer { firstWins in
                            secondWins.withUnsafeMutableBufferPointer { secondWins in
                                for k in 0..<count {
                                    let pair = UInt64(UInt32(bitPattern: first[k])) << 32 | UInt64(UInt32(bitPattern: second[k]))
                                    firstWins[k] = poisson.sample(mean: means[k], seed: roundSeed, pair: pair, side: 0)
                                    secondWins[k] = poisson.sample(mean: otherMeans[k], seed: roundSeed, pair: pair, side: 1)
                                }
                            }
                        }
                    }
                }
            }
        }
        let (first, second) = (graph.first, graph.second)
        return fit(itemCount: graph.itemCount, first: first, second: second, firstWins: firstWins, secondWins: secondWins,
                   prior: configuration.priorGames, tolerance: configuration.bootstrapTolerance,
                   maxIterations: configuration.maxIterations, start: start)
    }
}

/// Poisson variates for the bootstrap, each the quantile of one uniform: exact inversion of a precomputed
/// distribution for whole means up to 64 (almost every pair's count), the Cornish–Fisher expansion of the
/// quantile above (normal plus the skewness term, rounded, at least 0), so a draw grows with the mean.
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

    /// A variate of mean `mean` that depends only on (`seed`, `pair`, `side`) and the mean, and grows with
    /// the mean: the quantile of a hashed uniform.
    @inline(__always)
    func sample(mean: Double, seed: UInt64, pair: UInt64, side: UInt64) -> Double {
        guard mean > 0 else { return 0 }
        var random = SplitMix64(seed: seed ^ (pair &* 0xD6E8_FEB8_6659_FD93) ^ (side &* 0xA076_1D64_78BD_642F))
        let word = random.next()
        if mean <= 64, let whole = Int(exactly: mean) {
            // Scanning from 0 takes about mean + 1 steps, and almost every count is 1 or 2.
            let start = starts[whole]
            return thresholds.withUnsafeBufferPointer { thresholds in
                var k = start
                while thresholds[k] <= word, thresholds[k] != .max { k += 1 }
                return Double(k - start)
            }
        }
        let z = Self.normalQuantile((Double(word >> 11) + 0.5) * 0x1p-53)
        return max(0, (mean + mean.squareRoot() * z + (z * z - 1) / 6).rounded())
    }

    /// Φ⁻¹(p) for 0 < p < 1, by Acklam's rational approximation (relative error below 1.2e-9, far finer
    /// than the rounding to a whole count).
    static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p < 0.02425 { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - 0.02425 { return -tail((-2 * log(1 - p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
