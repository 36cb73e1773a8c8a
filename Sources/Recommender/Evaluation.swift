import Foundation

/// Offline evaluation by leave-one-out: one held-out positive per user, ranked against everything the
/// user did not train on.
public enum Evaluation {
    /// A training matrix and each user's held-out item.
    public struct Split: Sendable {
        public var train: SparseMatrix
        /// User → the item held out (users with no eligible positive have none).
        public var heldOut: [Int: Int]
    }

    /// Holds out, for each user, one interaction chosen at random (seeded) among those with
    /// `rating >= threshold`; everything else trains, as binary interactions of weight 1.
    public static func leaveOneOut(
        _ ratings: [(user: Int, item: Int, rating: Float)], users: Int, items: Int, threshold: Float, seed: UInt64
    ) -> Split {
        var random = Xoshiro(seed: seed)
        var byUser = [[Int]](repeating: [], count: users)
        for (index, rating) in ratings.enumerated() { byUser[rating.user].append(index) }
        var heldOut: [Int: Int] = [:], held = Set<Int>()
        for user in 0..<users {
            let eligible = byUser[user].filter { ratings[$0].rating >= threshold }
            guard !eligible.isEmpty else { continue }
            let index = eligible[Int(random.next() % UInt64(eligible.count))]
            heldOut[user] = ratings[index].item
            held.insert(index)
        }
        let entries = ratings.enumerated().filter { !held.contains($0.offset) }.map { (Int32($0.element.user), Int32($0.element.item), Float(1)) }
        return Split(train: SparseMatrix(rows: users, columns: items, entries: entries.map { ($0.0, $0.1, $0.2) }), heldOut: heldOut)
    }

    /// Recall@k (the share of users whose held-out item is in their top k) and NDCG@k (1/log₂(rank + 1)
    /// for a hit at rank 1…k) of `topK`, which ranks items for a user excluding their training items.
    public static func score(_ split: Split, k: Int, topK: (Int, [Int]) -> [Int]) -> (recall: Double, ndcg: Double) {
        var hits = 0.0, gain = 0.0
        for (user, item) in split.heldOut {
            let trained = split.train.row(user).columns.map(Int.init)
            if let rank = topK(user, trained).prefix(k).firstIndex(of: item) {
                hits += 1
                gain += 1 / log2(Double(rank) + 2)
            }
        }
        let users = Double(max(split.heldOut.count, 1))
        return (hits / users, gain / users)
    }

    /// Recall@k and NDCG@k of `model` on `split`.
    public static func score(_ model: FactorModel, on split: Split, k: Int) -> (recall: Double, ndcg: Double) {
        score(split, k: k) { user, trained in model.topItems(for: model.users.row(user), count: k, excluding: trained).map(\.item) }
    }

    /// The popularity baseline: items by training interactions, most first, the same for everyone.
    public static func popularity(on split: Split, k: Int) -> (recall: Double, ndcg: Double) {
        var counts = [Float](repeating: 0, count: split.train.columnCount)
        for column in split.train.columns { counts[Int(column)] += 1 }
        return score(split, k: k) { _, trained in FactorModel.best(counts, count: k, excluding: trained).map(\.item) }
    }
}
