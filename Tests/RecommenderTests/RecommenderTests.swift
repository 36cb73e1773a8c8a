import Foundation
import MovieMashCore
@testable import Recommender
import Testing
import TestSupport

/// MovieLens-100k ratings (dense 0-based user and item indices), from MOVIEMASH_TEST_MOVIELENS.
func movieLensRatings() throws -> (ratings: [(user: Int, item: Int, rating: Float)], users: Int, items: Int) {
    let directory = try TestEnvironment.value(of: "MOVIEMASH_TEST_MOVIELENS", for: "MovieLens-100k")
    return try MovieLens(directory: directory).denseRatings
}

/// A random sparse matrix with a popular head.
func syntheticMatrix(users: Int, items: Int, perUser: Int, seed: UInt64) -> SparseMatrix {
    var random = Xoshiro(seed: seed)
    var entries: [(row: Int32, column: Int32, value: Float)] = []
    for user in 0..<users {
        for _ in 0..<perUser {
            let u = Double(random.next() >> 11) * 0x1p-53
            entries.append((Int32(user), Int32(Double(items) * u * u), Float(1 + random.next() % 3)))
        }
    }
    return SparseMatrix(rows: users, columns: items, entries: entries)
}

@Suite struct RecommenderTests {
    @Test func sparseMatricesMergeDuplicatesAndTranspose() {
        let matrix = SparseMatrix(rows: 3, columns: 4, entries: [(0, 3, 1), (2, 0, 2), (0, 1, 1), (0, 3, 2), (1, 2, 5)])
        #expect(matrix.rowStarts == [0, 2, 3, 4])
        #expect(matrix.columns == [1, 3, 2, 0] && matrix.values == [1, 3, 5, 2])
        let transposed = matrix.transposed
        #expect(transposed.rows == 4 && transposed.columnCount == 3)
        #expect(transposed.row(3).columns.elementsEqual([0]) && transposed.row(3).values.elementsEqual([3]))
        #expect(transposed.transposed == matrix)
        var incremental = InteractionMatrix()
        for (row, column, value) in [(0, 3, 1), (2, 0, 2), (0, 1, 1), (0, 3, 2), (1, 2, 5)] as [(Int, Int, Float)] {
            incremental.add(row: row, column: column, value: value)
        }
        #expect(incremental.matrix == matrix)
    }

    @Test func foldInEqualsAFullSolveOfTheSameUser() {
        let matrix = syntheticMatrix(users: 300, items: 200, perUser: 12, seed: 4)
        var configuration = ImplicitALS.Configuration()
        configuration.factors = 20
        configuration.alpha = 10
        configuration.iterations = 5
        let model = ImplicitALS.fit(matrix, configuration: configuration)
        for user in [0, 17, 299] {
            let row = matrix.row(user)
            let folded = model.foldInUser(zip(row.columns, row.values).map { (Int($0), $1) })
            // The same least squares solved to convergence by conjugate gradients over the whole user side.
            var solved = model.users
            var converged = configuration
            converged.conjugateGradientSteps = 200
            ImplicitALS.solve(matrix, fixed: model.items, into: &solved, configuration: converged)
            let full = solved.row(user)
            let difference = zip(folded, full).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let size = full.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(difference / size <= 1e-4, "user \(user): relative difference \(difference / size)")
        }
    }

    @Test func theSameSeedGivesTheSameModel() {
        let matrix = syntheticMatrix(users: 100, items: 80, perUser: 8, seed: 9)
        var configuration = ImplicitALS.Configuration()
        configuration.factors = 12
        configuration.iterations = 3
        let a = ImplicitALS.fit(matrix, configuration: configuration), b = ImplicitALS.fit(matrix, configuration: configuration)
        #expect(a.users == b.users && a.items == b.items)
        configuration.seed = 2
        #expect(ImplicitALS.fit(matrix, configuration: configuration).users != a.users)
    }

    @Test func topItemsSkipExclusionsAndSimilarItemsSkipThemselves() {
        let matrix = syntheticMatrix(users: 200, items: 60, perUser: 10, seed: 5)
        var configuration = ImplicitALS.Configuration()
        configuration.factors = 16
        configuration.iterations = 4
        let model = ImplicitALS.fit(matrix, configuration: configuration)
        let vector = model.users.row(3)
        let all = model.topItems(for: vector, count: 60)
        #expect(all.count == 60 && zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
        let excluded = all.prefix(5).map(\.item) + [-1, 60]
        let rest = model.topItems(for: vector, count: 10, excluding: excluded)
        #expect(rest.map(\.item) == Array(all.dropFirst(5).prefix(10).map(\.item)))
        let similar = model.similarItems(to: 7, count: 5)
        #expect(similar.count == 5 && !similar.contains { $0.item == 7 } && similar.allSatisfy { $0.score <= 1.0001 })
    }

    @Test func alsOnMovieLensBeatsPopularityTwice() throws {
        let data = try movieLensRatings()
        let split = Evaluation.leaveOneOut(data.ratings, users: data.users, items: data.items, threshold: 4, seed: 1)
        #expect(split.heldOut.count > 900)
        var configuration = ImplicitALS.Configuration()
        configuration.regularization = 0.05
        configuration.alpha = 0
        let model = ImplicitALS.fit(split.train, configuration: configuration)
        let als = Evaluation.score(model, on: split, k: 10), popular = Evaluation.popularity(on: split, k: 10)
        print("MovieLens-100k leave-one-out: ALS recall@10 \(als.recall) ndcg@10 \(als.ndcg); popularity recall@10 \(popular.recall) ndcg@10 \(popular.ndcg)")
        #expect(als.recall >= 2 * popular.recall)
        #expect(als.ndcg > popular.ndcg)
    }
}
