import Foundation
import Synchronization

/// Implicit-feedback matrix factorization (Hu, Koren, Volinsky 2008) by alternating least squares.
///
/// An observed interaction of weight w has preference 1 and confidence `1 + alpha·w`; every other cell
/// has preference 0 and confidence 1. Each half-step solves every user's (then every item's) regularized
/// weighted least squares against the other side's fixed factors with a few conjugate-gradient steps
/// started from the current factors (Takács et al. 2011, as `implicit` does), never forming the per-user
/// matrix: `(YᵀY + λI + Σᵢ (cᵢ − 1)·yᵢyᵢᵀ)·x = Σᵢ cᵢ·yᵢ`. Float32, eight lanes at a time, rows spread
/// over all cores; seeded, so the same data and configuration give the same model.
public enum ImplicitALS {
    public struct Configuration: Sendable, Equatable {
        public var factors = 64
        public var regularization: Float = 0.05
        /// Confidence of an observed interaction of weight w is `1 + alpha·w`.
        public var alpha: Float = 1
        public var iterations = 15
        public var conjugateGradientSteps = 3
        public var seed: UInt64 = 1
        public var threads = ProcessInfo.processInfo.activeProcessorCount

        public init() {}
    }

    /// Fits user and item factors to `interactions` (users × items, values are weights).
    public static func fit(_ interactions: SparseMatrix, configuration: Configuration = Configuration()) -> FactorModel {
        var random = Xoshiro(seed: configuration.seed)
        var users = FactorMatrix.random(rows: interactions.rows, factors: configuration.factors, scale: 0.01, generator: &random)
        var items = FactorMatrix.random(rows: interactions.columnCount, factors: configuration.factors, scale: 0.01, generator: &random)
        let byItem = interactions.transposed
        for _ in 0..<configuration.iterations {
            solve(interactions, fixed: items, into: &users, configuration: configuration)
            solve(byItem, fixed: users, into: &items, configuration: configuration)
        }
        return FactorModel(users: users, items: items, configuration: configuration)
    }

    /// One half-step: every row of `target` against `fixed`, with `conjugateGradientSteps` steps each.
    static func solve(_ matrix: SparseMatrix, fixed: FactorMatrix, into target: inout FactorMatrix, configuration: Configuration) {
        let gram = fixed.gram(adding: configuration.regularization)
        let stride = fixed.stride, rows = matrix.rows, alpha = configuration.alpha, steps = configuration.conjugateGradientSteps
        let threads = max(1, min(configuration.threads, rows))
        target.storage.withUnsafeMutableBufferPointer { targetBuffer in
            fixed.storage.withUnsafeBufferPointer { fixedBuffer in
                gram.withUnsafeBufferPointer { gramBuffer in
                    matrix.columns.withUnsafeBufferPointer { columns in
                        matrix.values.withUnsafeBufferPointer { values in
                            matrix.rowStarts.withUnsafeBufferPointer { starts in
                                let shared = SharedRows(
                                    target: targetBuffer.baseAddress!, fixed: fixedBuffer.baseAddress!,
                                    gram: gramBuffer.baseAddress!, columns: columns.baseAddress!,
                                    values: values.baseAddress!, starts: starts.baseAddress!)
                                // Contiguous blocks of 64 rows (streaming through the matrix).
                                BackgroundThreads.forEach(blocks: (rows + 63) / 64, threads: threads) { block in
                                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * stride)
                                    defer { scratch.deallocate() }
                                    for row in (block * 64)..<min(rows, (block + 1) * 64) {
                                        let start = shared.starts[row]
                                        conjugateGradient(
                                            x: shared.target + row * stride, columns: shared.columns + start,
                                            values: shared.values + start, count: shared.starts[row + 1] - start,
                                            fixed: shared.fixed, gram: shared.gram, stride: stride,
                                            alpha: alpha, steps: steps, scratch: scratch)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func conjugateGradient(
        x: UnsafeMutablePointer<Float>, columns: UnsafePointer<Int32>, values: UnsafePointer<Float>, count: Int,
        fixed: UnsafePointer<Float>, gram: UnsafePointer<Float>, stride: Int, alpha: Float, steps: Int,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let r = scratch, p = scratch + stride, ap = scratch + 2 * stride
        // r = Σ cᵢ·yᵢ − A·x, with A·x = G·x + Σ (cᵢ − 1)·(yᵢ·x)·yᵢ
        Lanes.multiply(gram, x, r, stride)
        for k in 0..<stride { r[k] = -r[k] }
        for n in 0..<count {
            let y = fixed + Int(columns[n]) * stride
            let confidence = 1 + alpha * values[n]
            Lanes.axpy(confidence - (confidence - 1) * Lanes.dot(y, x, stride), y, r, stride)
        }
        p.update(from: r, count: stride)
        var rsOld = Lanes.dot(r, r, stride)
        if rsOld < 1e-20 { return }
        for _ in 0..<steps {
            Lanes.multiply(gram, p, ap, stride)
            for n in 0..<count {
                let y = fixed + Int(columns[n]) * stride
                let confidence = 1 + alpha * values[n]
                Lanes.axpy((confidence - 1) * Lanes.dot(y, p, stride), y, ap, stride)
            }
            let step = rsOld / Lanes.dot(p, ap, stride)
            Lanes.axpy(step, p, x, stride)
            Lanes.axpy(-step, ap, r, stride)
            let rsNew = Lanes.dot(r, r, stride)
            if rsNew < 1e-20 { break }
            let keep = rsNew / rsOld
            for k in 0..<stride { p[k] = r[k] + keep * p[k] }
            rsOld = rsNew
        }
    }
}

/// What the worker threads of a half-step share: read-only inputs, and the rows being solved, of which
/// each block writes only its own rows, so no two threads touch the same memory.
struct SharedRows: @unchecked Sendable {
    let target: UnsafeMutablePointer<Float>
    let fixed: UnsafePointer<Float>
    let gram: UnsafePointer<Float>
    let columns: UnsafePointer<Int32>
    let values: UnsafePointer<Float>
    let starts: UnsafePointer<Int>
}

/// xoshiro256** seeded through SplitMix64: the recommender's own seeded generator (it knows nothing of
/// MovieMashCore, whose SplitMix64 serves events).
struct Xoshiro: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}
