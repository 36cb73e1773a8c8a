/// A fitted factorization: user and item factors and the configuration that made them. Immutable, so a
/// service can swap a new one in while readers keep using the old.
public final class FactorModel: Sendable {
    public let users: FactorMatrix
    public let items: FactorMatrix
    public let configuration: ImplicitALS.Configuration
    private let itemGram: [Float]
    private let userGram: [Float]

    public init(users: FactorMatrix, items: FactorMatrix, configuration: ImplicitALS.Configuration) {
        self.users = users
        self.items = items
        self.configuration = configuration
        itemGram = items.gram(adding: configuration.regularization)
        userGram = users.gram(adding: configuration.regularization)
    }

    /// The factors a user with these (item, weight) interactions gets against the fixed item factors: one
    /// exact least-squares solve (Cholesky, in Double), no retrain.
    public func foldInUser(_ interactions: [(item: Int, weight: Float)]) -> [Float] {
        Self.solve(gram: itemGram, fixed: items, interactions.map { ($0.item, $0.weight) }, alpha: configuration.alpha)
    }

    /// The factors an item with these (user, weight) interactions gets against the fixed user factors.
    public func foldInItem(_ interactions: [(user: Int, weight: Float)]) -> [Float] {
        Self.solve(gram: userGram, fixed: users, interactions.map { ($0.user, $0.weight) }, alpha: configuration.alpha)
    }

    static func solve(gram: [Float], fixed: FactorMatrix, _ interactions: [(Int, Float)], alpha: Float) -> [Float] {
        let f = fixed.factors, stride = fixed.stride
        var a = [Double](repeating: 0, count: f * f), b = [Double](repeating: 0, count: f)
        for i in 0..<f {
            for j in 0..<f { a[i * f + j] = Double(gram[i * stride + j]) }
        }
        for (row, weight) in interactions {
            let y = fixed.row(row).map(Double.init)
            let confidence = 1 + Double(alpha) * Double(weight)
            for i in 0..<f {
                b[i] += confidence * y[i]
                for j in 0..<f { a[i * f + j] += (confidence - 1) * y[i] * y[j] }
            }
        }
        // Cholesky: A = L·Lᵀ (A is symmetric positive definite: a Gram matrix plus λI).
        for j in 0..<f {
            var diagonal = a[j * f + j]
            for k in 0..<j { diagonal -= a[j * f + k] * a[j * f + k] }
            let root = diagonal.squareRoot()
            a[j * f + j] = root
            for i in (j + 1)..<max(j + 1, f) {
                var value = a[i * f + j]
                for k in 0..<j { value -= a[i * f + k] * a[j * f + k] }
                a[i * f + j] = value / root
            }
        }
        var z = b
        for i in 0..<f {
            for k in 0..<i { z[i] -= a[i * f + k] * z[k] }
            z[i] /= a[i * f + i]
        }
        for i in (0..<f).reversed() {
            for k in (i + 1)..<max(i + 1, f) { z[i] -= a[k * f + i] * z[k] }
            z[i] /= a[i * f + i]
        }
        return z.map(Float.init)
    }

    /// The `count` items with the highest scores `vector·item`, best first, skipping the items `excluded`.
    public func topItems(for vector: [Float], count: Int, excluding excluded: [Int] = []) -> [(item: Int, score: Float)] {
        let (rows, stride) = (items.rows, items.stride)
        let padded = vector + [Float](repeating: 0, count: stride - vector.count)
        var scores = [Float](repeating: 0, count: rows)
        padded.withUnsafeBufferPointer { x in
            items.storage.withUnsafeBufferPointer { data in
                scores.withUnsafeMutableBufferPointer { scores in
                    for item in 0..<rows { scores[item] = Lanes.dot(data.baseAddress! + item * stride, x.baseAddress!, stride) }
                }
            }
        }
        return Self.best(scores, count: count, excluding: excluded)
    }

    /// The `count` items most similar to `item` by cosine of their factors, most similar first.
    public func similarItems(to item: Int, count: Int) -> [(item: Int, score: Float)] {
        let norms = (0..<items.rows).map { row in
            items.storage.withUnsafeBufferPointer { data in
                Lanes.dot(data.baseAddress! + row * items.stride, data.baseAddress! + row * items.stride, items.stride).squareRoot()
            }
        }
        var scores = [Float](repeating: 0, count: items.rows)
        items.storage.withUnsafeBufferPointer { data in
            let target = data.baseAddress! + item * items.stride
            for other in 0..<items.rows {
                let denominator = norms[item] * norms[other]
                scores[other] = denominator > 0 ? Lanes.dot(target, data.baseAddress! + other * items.stride, items.stride) / denominator : 0
            }
        }
        return Self.best(scores, count: count, excluding: [item])
    }

    /// Of the items `candidates`, the `count` whose factors point most nearly the way `vector` does (cosine),
    /// most similar first: which of a person's films a recommendation resembles, to say why it is there.
    public func closest(to vector: [Float], among candidates: [Int], count: Int) -> [Int] {
        let padded = vector + [Float](repeating: 0, count: max(0, items.stride - vector.count))
        var scores = [Float](repeating: -.infinity, count: items.rows)
        padded.withUnsafeBufferPointer { x in
            items.storage.withUnsafeBufferPointer { data in
                for item in candidates where scores.indices.contains(item) {
                    let row = data.baseAddress! + item * items.stride
                    let norm = Lanes.dot(row, row, items.stride).squareRoot()
                    scores[item] = norm > 0 ? Lanes.dot(row, x.baseAddress!, items.stride) / norm : 0
                }
            }
        }
        return Self.best(scores, count: count, excluding: []).filter { scores[$0.item] > -.infinity }.map(\.item)
    }

    /// The `count` best of `scores`, best first, skipping the items `excluded` (any out of range are ignored).
    static func best(_ scores: [Float], count: Int, excluding excluded: [Int]) -> [(item: Int, score: Float)] {
        // A mask rather than a set: every item is checked, and hashing each cost more than scoring it.
        var skip = [Bool](repeating: false, count: scores.count)
        for item in excluded where skip.indices.contains(item) { skip[item] = true }
        var chosen: [(item: Int, score: Float)] = []
        for (item, score) in scores.enumerated() where !skip[item] {
            if chosen.count < count {
                chosen.append((item, score))
                if chosen.count == count { chosen.sort { ($0.score, -$0.item) > ($1.score, -$1.item) } }
            } else if count > 0, score > chosen[count - 1].score {
                var index = count - 1
                chosen[index] = (item, score)
                while index > 0, chosen[index].score > chosen[index - 1].score {
                    chosen.swapAt(index, index - 1)
                    index -= 1
                }
            }
        }
        return chosen.sorted { ($0.score, -$0.item) > ($1.score, -$1.item) }
    }
}
