import Benchmark
import Foundation
import MovieMashCore
import Recommender

/// MovieLens-100k leave-one-out splits for seeds 1–8 (ratings ≥ 4 held out, all ratings as binary
/// interactions), each also written as files for `Scripts/reference/implicit_als.py`. The data comes from
/// MOVIEMASH_BENCH_MOVIELENS, else `.build/movielens` (which `Scripts/test` fills).
final class MovieLensSplits: @unchecked Sendable {
    static let shared = MovieLensSplits()
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
    private(set) var splits: [(seed: UInt64, split: Evaluation.Split, directory: String)] = []

    func build() throws {
        guard splits.isEmpty else { return }
        let directory = ProcessInfo.processInfo.environment["MOVIEMASH_BENCH_MOVIELENS"]
            ?? repositoryRoot.appendingPathComponent(".build/movielens").path
        let (ratings, users, items) = try MovieLens(directory: directory).denseRatings
        for seed in Self.seeds {
            let split = Evaluation.leaveOneOut(ratings, users: users, items: items, threshold: 4, seed: seed)
            let folder = temporaryDirectory("moviemash-split-\(seed)")
            var train = ""
            for user in 0..<split.train.rows {
                let row = split.train.row(user)
                for (item, value) in zip(row.columns, row.values) { train += "\(user)\t\(item)\t\(value)\n" }
            }
            try train.write(toFile: folder + "/train.tsv", atomically: true, encoding: .utf8)
            try split.heldOut.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
                .write(toFile: folder + "/heldout.tsv", atomically: true, encoding: .utf8)
            try "\(users)\t\(items)\n".write(toFile: folder + "/shape.tsv", atomically: true, encoding: .utf8)
            splits.append((seed, split, folder))
        }
    }
}

/// The comparison configuration: 64 factors, regularization 0.05, 15 iterations, confidence 1 for an
/// observed interaction (`alpha` 0 here is `implicit`'s default `alpha` 1 on binary data).
func comparisonConfiguration(seed: UInt64, threads: Int) -> ImplicitALS.Configuration {
    var configuration = ImplicitALS.Configuration()
    configuration.factors = 64
    configuration.regularization = 0.05
    configuration.iterations = 15
    configuration.alpha = 0
    configuration.seed = seed
    configuration.threads = threads
    return configuration
}

func recommenderBenchmarks() {
    let recall = BenchmarkMetric.custom("recall@10 (‰, mean of 8 seeds)", polarity: .prefersLarger, useScalingFactor: false)
    let ndcg = BenchmarkMetric.custom("ndcg@10 (‰, mean of 8 seeds)", polarity: .prefersLarger, useScalingFactor: false)
    let fitTime = BenchmarkMetric.custom("fit ms (mean of 8 seeds)", useScalingFactor: false)
    let metrics = [fitTime, recall, ndcg]
    let all = ProcessInfo.processInfo.activeProcessorCount

    for threads in [1, all] {
        Benchmark("ALS on MovieLens-100k, \(threads) thread(s)", configuration: .init(metrics: metrics, maxIterations: 1), closure: { benchmark in
            var seconds = 0.0, recalls = 0.0, ndcgs = 0.0
            for (seed, split, _) in MovieLensSplits.shared.splits {
                let start = ContinuousClock.now
                let model = ImplicitALS.fit(split.train, configuration: comparisonConfiguration(seed: seed, threads: threads))
                seconds += (ContinuousClock.now - start) / .seconds(1)
                let score = Evaluation.score(model, on: split, k: 10)
                recalls += score.recall
                ndcgs += score.ndcg
            }
            let runs = Double(MovieLensSplits.seeds.count)
            benchmark.measurement(fitTime, Int(seconds / runs * 1000))
            benchmark.measurement(recall, Int(recalls / runs * 1000))
            benchmark.measurement(ndcg, Int(ndcgs / runs * 1000))
        }, setup: { try MovieLensSplits.shared.build() })

        Benchmark("Baseline: implicit ALS on MovieLens-100k, \(threads) thread(s)", configuration: .init(metrics: metrics, maxIterations: 1), closure: { benchmark in
            var seconds = 0.0, recalls = 0.0, ndcgs = 0.0
            for (seed, _, directory) in MovieLensSplits.shared.splits {
                let report = try reference("implicit_als.py", [directory, "--threads", "\(threads)", "--alpha", "0", "--seed", "\(seed)"])
                seconds += report["seconds"]!
                recalls += report["recall"]!
                ndcgs += report["ndcg"]!
            }
            let runs = Double(MovieLensSplits.seeds.count)
            benchmark.measurement(fitTime, Int(seconds / runs * 1000))
            benchmark.measurement(recall, Int(recalls / runs * 1000))
            benchmark.measurement(ndcg, Int(ndcgs / runs * 1000))
        }, setup: { try MovieLensSplits.shared.build() })
    }

    Benchmark("Baseline: popularity on MovieLens-100k", configuration: .init(metrics: [recall, ndcg], maxIterations: 1), closure: { benchmark in
        var recalls = 0.0, ndcgs = 0.0
        for (_, split, _) in MovieLensSplits.shared.splits {
            let score = Evaluation.popularity(on: split, k: 10)
            recalls += score.recall
            ndcgs += score.ndcg
        }
        benchmark.measurement(recall, Int(recalls / Double(MovieLensSplits.seeds.count) * 1000))
        benchmark.measurement(ndcg, Int(ndcgs / Double(MovieLensSplits.seeds.count) * 1000))
    }, setup: { try MovieLensSplits.shared.build() })

    // What the recommender service does per event: fold one person in against the current model.
    Benchmark("Fold-in of one MovieLens user (64 factors)",
              configuration: .init(metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(5), maxIterations: 20_000),
              closure: { benchmark in
        let (model, rows) = FoldInFixture.shared.value
        for iteration in benchmark.scaledIterations { blackHole(model.foldInUser(rows[iteration % rows.count])) }
    }, setup: { try MovieLensSplits.shared.build(); _ = FoldInFixture.shared.value })

    // What `GET /api/recommendations` does per request for a person with a history: score every film
    // against their factors and keep the best ten they do not have.
    Benchmark("Top 10 of 1,682 MovieLens films for one user (64 factors)",
              configuration: .init(metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(5), maxIterations: 20_000),
              closure: { benchmark in
        let (model, rows) = FoldInFixture.shared.value
        for iteration in benchmark.scaledIterations {
            let user = iteration % model.users.rows
            blackHole(model.topItems(for: model.users.row(user), count: 10, excluding: rows[user].map(\.item)))
        }
    }, setup: { try MovieLensSplits.shared.build(); _ = FoldInFixture.shared.value })

    Benchmark("ALS iteration on a MovieLens-20M-shaped matrix (138k users, 27k items, 10M interactions)",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds, maxIterations: 2),
              closure: { benchmark in
        var configuration = comparisonConfiguration(seed: 1, threads: all)
        configuration.iterations = 1
        benchmark.startMeasurement()
        blackHole(ImplicitALS.fit(TwentyMillionShape.shared.matrix, configuration: configuration))
        benchmark.stopMeasurement()
    }, setup: { _ = TwentyMillionShape.shared.matrix })
}

/// About 10M distinct interactions of 138,493 users over 26,744 items, shaped like MovieLens-20M: users'
/// activity is Pareto-distributed (at least 20 each, α 1.5), items are drawn with popularity ∝ (rank + 10)^-0.9.
final class TwentyMillionShape: @unchecked Sendable {
    static let shared = TwentyMillionShape()
    lazy var matrix: SparseMatrix = {
        let users = 138_493, items = 26_744
        var state: UInt64 = 0x5EED
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) * 0x1p-53
        }
        let exponent = 1 - 0.9, low = pow(10.0, exponent), high = pow(Double(items + 10), exponent)
        var entries: [(row: Int32, column: Int32, value: Float)] = []
        entries.reserveCapacity(10_500_000)
        for user in 0..<users {
            let degree = min(items / 4, Int(24 * pow(1 - next(), -1 / 1.5)))
            var chosen = Set<Int32>()
            while chosen.count < degree {
                chosen.insert(Int32(min(Double(items - 1), pow(low + next() * (high - low), 1 / exponent) - 10)))
            }
            for item in chosen { entries.append((Int32(user), item, 1)) }
        }
        let matrix = SparseMatrix(rows: users, columns: items, entries: entries)
        print("MovieLens-20M-shaped matrix: \(matrix.rows) users, \(matrix.columnCount) items, \(matrix.nonzeros) interactions")
        return matrix
    }()
}

/// A model fitted on the first MovieLens split, and every user's training interactions.
final class FoldInFixture: @unchecked Sendable {
    static let shared = FoldInFixture()
    lazy var value: (FactorModel, [[(item: Int, weight: Float)]]) = {
        let (seed, split, _) = MovieLensSplits.shared.splits[0]
        let model = ImplicitALS.fit(split.train, configuration: comparisonConfiguration(seed: seed, threads: 1))
        let rows = (0..<split.train.rows).map { user in
            let row = split.train.row(user)
            return zip(row.columns, row.values).map { (item: Int($0), weight: $1) }
        }
        return (model, rows)
    }()
}
