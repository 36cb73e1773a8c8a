import Foundation
import Recommender
import Synchronization

/// Bradley–Terry over films as teams: a set's log-strength is the sum of its four films' (θ = A·b), and
/// P(A beats B) = σ(θ_A − θ_B), fitted on the set pairs' counts, so a vote counts once (Huang, Weng & Lin,
/// JMLR 2006; LMArena's "extended Bradley–Terry"). A film in both sets of a vote cancels out by itself.
///
/// Each film's log-strength has the prior N(0, σ²) (`BradleyTerry.Configuration.filmPriorDeviation`); the
/// maximum a posteriori estimate minimizes
/// `Σ_pairs [w_ij·log(1 + e^(θ_j−θ_i)) + w_ji·log(1 + e^(θ_i−θ_j))] + ‖b‖²/(2σ²)`,
/// strictly convex, solved by Newton's method with preconditioned conjugate gradients (the Hessian
/// `AᵀHA + I/σ²` is applied through the set space, never formed).
///
/// Only contrasts between sets are observed: votes say nothing about the common level of the sets they
/// connect, and nothing about how a set's strength is split among its films. What they say about a film
/// passes through the contrasts C·b (C = P·A, P removing each connected component's mean); the rest is the
/// prior's. The interval therefore has two parts (the law of total variance, b given the contrasts):
/// - the prior's: `σ²·(1 − ℓ_f)`, ℓ_f = c_fᵀ(CCᵀ)⁺c_f the share of the film's direction that the contrasts
///   fix (about 1/4 for a film in one set whose teammates are in no other; towards 1 for a film in many
///   sets; 0 for a film in both sets of every vote it is in);
/// - the data's: the spread of `C⁺·δθ` over the set board's bootstrap rounds (δθ a round's deviation),
///   the least-norm film strengths that make up each round's contrasts.
/// Intervals are normal, `b̂ ± z·√(sum)`. A film in no set with votes stays at the prior, b = 0 ± z·σ.
public enum FilmTeams {
    /// The team design: sets that have four known films and at least one vote, and the pairs among them.
    struct Design: Sendable {
        let filmCount: Int
        /// Four film indices per design set.
        let films: [Int32]
        /// The graph index of each design set.
        let sets: [Int32]
        /// Pairs by design set index, with each side's wins.
        let first: [Int32], second: [Int32], firstWins: [Double], secondWins: [Double]

        /// `setFilms` holds four film indices (or -1) per set index of `graph`.
        init(graph: ComparisonGraph, setFilms: [Int32], filmCount: Int) {
            self.filmCount = filmCount
            func known(_ set: Int32) -> Bool {
                4 * Int(set) + 4 <= setFilms.count && setFilms[(4 * Int(set))..<(4 * Int(set) + 4)].allSatisfy { $0 >= 0 }
            }
            let counted = graph.first.indices.filter {
                graph.firstWins[$0] + graph.secondWins[$0] > 0 && known(graph.first[$0]) && known(graph.second[$0])
            }
            // Design sets in graph order, so the same sets give the same design (and its leverages are reused).
            var designIndex = [Int32](repeating: -1, count: graph.itemCount)
            for k in counted {
                designIndex[Int(graph.first[k])] = 0
                designIndex[Int(graph.second[k])] = 0
            }
            var films: [Int32] = [], sets: [Int32] = []
            for set in designIndex.indices where designIndex[set] == 0 {
                designIndex[set] = Int32(sets.count)
                sets.append(Int32(set))
                films.append(contentsOf: setFilms[(4 * set)..<(4 * set + 4)])
            }
            let first = counted.map { designIndex[Int(graph.first[$0])] }, second = counted.map { designIndex[Int(graph.second[$0])] }
            let firstWins = counted.map { graph.firstWins[$0] }, secondWins = counted.map { graph.secondWins[$0] }
            (self.films, self.sets, self.first, self.second, self.firstWins, self.secondWins) = (films, sets, first, second, firstWins, secondWins)
            // Connected components of the sets' comparison graph (union–find), each set's component dense.
            var parent = Array(0..<Int32(sets.count))
            func root(_ x: Int32) -> Int32 {
                var x = x
                while parent[Int(x)] != x {
                    parent[Int(x)] = parent[Int(parent[Int(x)])]
                    x = parent[Int(x)]
                }
                return x
            }
            for k in first.indices {
                let a = root(first[k]), b = root(second[k])
                if a != b { parent[Int(max(a, b))] = min(a, b) }
            }
            var dense = [Int32](repeating: -1, count: sets.count), component = [Int32](repeating: 0, count: sets.count)
            var sizes: [Double] = []
            for s in 0..<sets.count {
                let r = Int(root(Int32(s)))
                if dense[r] < 0 {
                    dense[r] = Int32(sizes.count)
                    sizes.append(0)
                }
                component[s] = dense[r]
                sizes[Int(dense[r])] += 1
            }
            (self.component, componentSizes) = (component, sizes)
        }

        /// Each design set's connected component in the comparison graph, and each component's size.
        let component: [Int32]
        let componentSizes: [Double]

        /// What the leverages depend on: the sets, then each one's component.
        var leverageKey: [Int32] { sets + component }

        /// `y` less the mean of its component, for each set: the contrasts, all that votes can inform (a
        /// component's common level is the prior's alone).
        func contrasts(_ y: [Double]) -> [Double] {
            var result = y
            removeComponentMeans(&result)
            return result
        }

        /// `contrasts` in place.
        func removeComponentMeans(_ y: inout [Double]) {
            if componentSizes.count == 1 {
                let mean = y.reduce(0, +) / componentSizes[0]
                for s in y.indices { y[s] -= mean }
                return
            }
            var means = [Double](repeating: 0, count: componentSizes.count)
            for s in y.indices { means[Int(component[s])] += y[s] }
            for c in means.indices { means[c] /= componentSizes[c] }
            for s in y.indices { y[s] -= means[Int(component[s])] }
        }

        var setCount: Int { sets.count }

        /// θ = A·b.
        func setStrengths(_ b: [Double]) -> [Double] {
            (0..<setCount).map { s in
                b[Int(films[4 * s])] + b[Int(films[4 * s + 1])] + b[Int(films[4 * s + 2])] + b[Int(films[4 * s + 3])]
            }
        }

        /// Aᵀ·y.
        func filmSums(_ y: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: filmCount)
            for s in 0..<setCount {
                for slot in 0..<4 { result[Int(films[4 * s + slot])] += y[s] }
            }
            return result
        }
    }

    /// The MAP film log-strengths of `counts`, by index in `counts.films`.
    public static func estimate(_ counts: BradleyTerryCounts) -> [Double] {
        let design = Design(graph: ComparisonGraph(counts.sets), setFilms: counts.setFilms, filmCount: counts.films.count)
        return fit(design, deviation: counts.configuration.filmPriorDeviation, start: nil).b
    }

    /// The MAP film log-strengths (index = film index), from `start` where given, and Newton's steps.
    ///
    /// Stops when a Newton step moves no strength more than `tolerance` (10⁻⁸: 10⁻⁶ rating points): the Hessian is at least I/σ², so
    /// the step bounds the distance to the optimum. Far from it, steps are damped by a backtracking line
    /// search; close to it (no strength moving more than 10⁻³) they are taken whole, since the objective's
    /// decrease there falls below its rounding and a line search could not tell better from worse.
    /// `products` counts the Hessian products of the conjugate-gradient steps, which is where the time goes.
    static func fit(_ design: Design, deviation: Double, tolerance: Double = 1e-8, start: [Double]?) -> (b: [Double], products: Int) {
        let precision = 1 / (deviation * deviation)
        var b = BradleyTerry.startingPoint(start, count: design.filmCount)
        var current = evaluate(design, b, precision: precision)
        var steps = 0, products = 0
        while steps < 100 {
            let norm = current.gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { break }
            steps += 1
            let (direction, used) = newtonDirection(design, gradient: current.gradient, weights: current.weights, precision: precision,
                                                    forcing: min(0.5, norm.squareRoot()))
            products += used
            let largest = direction.reduce(0) { max($0, abs($1)) }
            if largest < 1e-3 {
                for f in b.indices { b[f] += direction[f] }
                if largest <= tolerance { break }
                current = evaluate(design, b, precision: precision)
                continue
            }
            let slope = zip(current.gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
            var length = 1.0, accepted = false
            while length * largest >= 1e-3 {
                let trial = zip(b, direction).map { $0 + length * $1 }
                let next = evaluate(design, trial, precision: precision)
                if next.value <= current.value + 1e-4 * length * slope {
                    b = trial
                    current = next
                    accepted = true
                    break
                }
                length /= 2
            }
            if !accepted {
                // Shortened into the region where whole steps are taken: take that short step.
                for f in b.indices { b[f] += length * direction[f] }
                current = evaluate(design, b, precision: precision)
            }
        }
        return (b, products)
    }

    /// The objective, its gradient over films and each pair's Hessian weight (w_ij + w_ji)·p·(1 − p).
    private static func evaluate(_ design: Design, _ b: [Double], precision: Double) -> (value: Double, gradient: [Double], weights: [Double]) {
        let theta = design.setStrengths(b)
        var value = 0.5 * precision * b.reduce(0) { $0 + $1 * $1 }
        var setGradient = [Double](repeating: 0, count: design.setCount)
        var weights = [Double](repeating: 0, count: design.first.count)
        for k in design.first.indices {
            let i = Int(design.first[k]), j = Int(design.second[k])
            let d = theta[i] - theta[j], wi = design.firstWins[k], wj = design.secondWins[k]
            value += wi * softplus(-d) + wj * softplus(d)
            let p = 1 / (1 + exp(-d))
            let change = (wi + wj) * p - wi
            setGradient[i] += change
            setGradient[j] -= change
            weights[k] = (wi + wj) * p * (1 - p)
        }
        var gradient = design.filmSums(setGradient)
        for f in gradient.indices { gradient[f] += precision * b[f] }
        return (value, gradient, weights)
    }

    /// log(1 + eˣ) without overflow.
    private static func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }

    /// −H⁻¹·g by conjugate gradients preconditioned with H's film diagonal (less the cross terms of a
    /// film's sets), to a relative residual of `forcing`.
    private static func newtonDirection(
        _ design: Design, gradient: [Double], weights: [Double], precision: Double, forcing: Double
    ) -> (direction: [Double], products: Int) {
        var setWeight = [Double](repeating: 0, count: design.setCount)
        for k in design.first.indices {
            setWeight[Int(design.first[k])] += weights[k]
            setWeight[Int(design.second[k])] += weights[k]
        }
        let diagonal = design.filmSums(setWeight).map { $0 + precision }
        func hessian(_ v: [Double]) -> [Double] {
            let u = design.setStrengths(v)
            var y = [Double](repeating: 0, count: design.setCount)
            for k in design.first.indices {
                let i = Int(design.first[k]), j = Int(design.second[k])
                let t = weights[k] * (u[i] - u[j])
                y[i] += t
                y[j] -= t
            }
            var result = design.filmSums(y)
            for f in result.indices { result[f] += precision * v[f] }
            return result
        }
        let n = gradient.count
        var x = [Double](repeating: 0, count: n)
        var r = gradient.map { -$0 }
        var z = zip(r, diagonal).map { $0 / $1 }
        var p = z
        var rz = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
        let goal = forcing * r.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var products = 0
        for _ in 0..<min(n, 1000) {
            let q = hessian(p)
            products += 1
            let alpha = rz / zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }
            for f in 0..<n {
                x[f] += alpha * p[f]
                r[f] -= alpha * q[f]
            }
            if r.reduce(0, { $0 + $1 * $1 }).squareRoot() <= goal { break }
            for f in 0..<n { z[f] = r[f] / diagonal[f] }
            let next = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
            let beta = next / rz
            rz = next
            for f in 0..<n { p[f] = z[f] + beta * p[f] }
        }
        return (x, products)
    }

    /// x = C⁺·r with C = P·A, P the projection on contrasts within components (`Design.contrasts`): the
    /// least-norm film vector whose set sums' contrasts come closest to those of `r` (one value per design
    /// set), by conjugate gradients on the normal equations (CGLS): started at 0 it stays in C's row space,
    /// so it converges to the least-norm solution even where sets repeat one another's films.
    static func leastNorm(_ design: Design, _ r: [Double], tolerance: Double = 1e-10) -> [Double] {
        let (sets, filmCount) = (design.setCount, design.filmCount)
        var x = [Double](repeating: 0, count: filmCount)
        var residual = design.contrasts(r)
        var s = design.filmSums(residual)
        var p = s
        var q = [Double](repeating: 0, count: sets)
        var gamma = s.reduce(0) { $0 + $1 * $1 }
        let goal = tolerance * tolerance * gamma
        guard gamma > 0 else { return x }
        for _ in 0..<(2 * sets + 10) {
            // q = P·A·p, then the step; s = Aᵀ·P·residual (the residual stays a contrast, so P is a no-op).
            design.films.withUnsafeBufferPointer { films in
                p.withUnsafeBufferPointer { p in
                    for set in 0..<sets {
                        q[set] = p[Int(films[4 * set])] + p[Int(films[4 * set + 1])] + p[Int(films[4 * set + 2])] + p[Int(films[4 * set + 3])]
                    }
                }
            }
            design.removeComponentMeans(&q)
            var qq = 0.0
            for set in 0..<sets { qq += q[set] * q[set] }
            guard qq > 0 else { break }
            let alpha = gamma / qq
            for f in 0..<filmCount {
                x[f] += alpha * p[f]
                s[f] = 0
            }
            for set in 0..<sets { residual[set] -= alpha * q[set] }
            design.films.withUnsafeBufferPointer { films in
                s.withUnsafeMutableBufferPointer { s in
                    for set in 0..<sets {
                        let value = residual[set]
                        for slot in 0..<4 { s[Int(films[4 * set + slot])] += value }
                    }
                }
            }
            var next = 0.0
            for f in 0..<filmCount { next += s[f] * s[f] }
            if next <= goal { break }
            let beta = next / gamma
            gamma = next
            for f in 0..<filmCount { p[f] = s[f] + beta * p[f] }
        }
        return x
    }

    /// ℓ_f = c_fᵀ(CCᵀ)⁺c_f for every film (C = P·A as in `leastNorm`; 0 for a film in no design set): the
    /// share of the film's prior variance that the contrasts between sets fix. Depends only on which sets
    /// are in the design and how the votes connect them. Films in the same sets have the same column of C,
    /// so the same leverage: one solve per distinct list of sets (most films are in one set, often with
    /// teammates in no other).
    static func leverages(_ design: Design, workers: Int, cancellation: BackgroundThreads.Cancellation?) -> [Double] {
        var setsOfFilm = [[Int32]](repeating: [], count: design.filmCount)
        for s in 0..<design.setCount {
            for slot in 0..<4 { setsOfFilm[Int(design.films[4 * s + slot])].append(Int32(s)) }
        }
        var alike: [[Int32]: [Int]] = [:]
        for film in setsOfFilm.indices where !setsOfFilm[film].isEmpty { alike[setsOfFilm[film], default: []].append(film) }
        let groups = Array(alike.values)
        let setsOf = setsOfFilm
        let found = Mutex([Double](repeating: 0, count: design.filmCount))
        BackgroundThreads.forEach(blocks: workers, threads: workers) { worker in
            var mine: [(films: [Int], leverage: Double)] = []
            for position in stride(from: worker, to: groups.count, by: workers) where cancellation?.isCancelled != true {
                let films = groups[position]
                var column = [Double](repeating: 0, count: design.setCount)
                for s in setsOf[films[0]] { column[Int(s)] += 1 }
                mine.append((films, leastNorm(design, column)[films[0]]))
            }
            found.withLock { for (films, leverage) in mine { for film in films { $0[film] = leverage } } }
        }
        return found.withLock { $0 }
    }

    /// The data's variance of each film: the mean square over the set board's bootstrap rounds of
    /// `C⁺·δθ`, δθ a round's set log-strengths less their mean over the rounds (`rounds` by graph index).
    static func dataVariances(_ design: Design, rounds: [[Double]], workers: Int, cancellation: BackgroundThreads.Cancellation?) -> [Double] {
        guard rounds.count > 1, design.setCount > 0 else { return [Double](repeating: 0, count: design.filmCount) }
        let means = design.sets.map { set in rounds.reduce(0) { $0 + $1[Int(set)] } / Double(rounds.count) }
        let sums = Mutex([Double](repeating: 0, count: design.filmCount))
        BackgroundThreads.forEach(blocks: workers, threads: workers) { worker in
            var mine = [Double](repeating: 0, count: design.filmCount)
            for round in stride(from: worker, to: rounds.count, by: workers) where cancellation?.isCancelled != true {
                let deviation = design.sets.indices.map { rounds[round][Int(design.sets[$0])] - means[$0] }
                for (film, value) in leastNorm(design, deviation).enumerated() { mine[film] += value * value }
            }
            sums.withLock { for film in $0.indices { $0[film] += mine[film] } }
        }
        return sums.withLock { $0 }.map { $0 / Double(rounds.count - 1) }
    }

    /// Film standings from the set board's fit of the same counts: the MAP from `previous`'s estimate, the
    /// intervals from the set board's bootstrap rounds and the leverages (reused from `previous` while the
    /// design's sets are the same). Empty standings when cancelled part way.
    public static func refit(
        _ counts: BradleyTerryCounts, sets: BradleyTerry.Solutions, previous: BradleyTerry.Solutions?,
        priority: BackgroundThreads.Priority = .low
    ) async -> (standings: [BradleyTerry.Standing], solutions: BradleyTerry.Solutions) {
        let configuration = counts.configuration
        let graph = ComparisonGraph(counts.sets)
        let design = Design(graph: graph, setFilms: counts.setFilms, filmCount: counts.films.count)
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let result = Mutex<(standings: [BradleyTerry.Standing], solutions: BradleyTerry.Solutions)?>(nil)
        await BackgroundThreads.run(workers: 1, priority: priority, name: "mm-bt-films") { _, cancellation in
            let (estimate, products) = fit(design, deviation: configuration.filmPriorDeviation, start: previous?.estimate)
            let leverages = previous.flatMap { $0.leverageKey == design.leverageKey && $0.leverages.count == design.filmCount ? $0.leverages : nil }
                ?? Self.leverages(design, workers: workers, cancellation: cancellation)
            let data = dataVariances(design, rounds: sets.rounds, workers: workers, cancellation: cancellation)
            guard !cancellation.isCancelled else { return }
            var solutions = BradleyTerry.Solutions()
            solutions.estimate = estimate
            solutions.iterations = products
            solutions.leverageKey = design.leverageKey
            solutions.leverages = leverages
            let standings = standings(design, estimate: estimate, leverages: leverages, dataVariances: data, configuration: configuration)
            result.withLock { $0 = (standings, solutions) }
        }
        return result.withLock { $0 } ?? ([], BradleyTerry.Solutions())
    }

    /// Every film's rating, normal interval, ranks and comparisons (the votes on the sets it is in).
    static func standings(
        _ design: Design, estimate: [Double], leverages: [Double], dataVariances: [Double],
        configuration: BradleyTerry.Configuration
    ) -> [BradleyTerry.Standing] {
        let perRating = configuration.scale / log(10.0)
        let z = Poisson.normalQuantile(1 - (1 - configuration.confidence) / 2)
        let priorVariance = configuration.filmPriorDeviation * configuration.filmPriorDeviation
        var setGames = [Double](repeating: 0, count: design.setCount)
        for k in design.first.indices {
            let games = design.firstWins[k] + design.secondWins[k]
            setGames[Int(design.first[k])] += games
            setGames[Int(design.second[k])] += games
        }
        let comparisons = design.filmSums(setGames)
        let standings = (0..<design.filmCount).map { film -> BradleyTerry.Standing in
            let variance = priorVariance * max(0, 1 - leverages[film]) + dataVariances[film]
            let half = z * variance.squareRoot() * perRating, rating = configuration.base + estimate[film] * perRating
            return BradleyTerry.Standing(
                item: Int32(film), theta: estimate[film], rating: rating, lower: rating - half, upper: rating + half, rank: 0,
                worstRank: 0, position: 0, comparisons: Int(comparisons[film].rounded()))
        }
        return BradleyTerry.ranked(standings)
    }
}
