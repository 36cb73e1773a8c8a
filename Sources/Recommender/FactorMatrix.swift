/// Dense Float32 factors, one row per user or item, each row padded to a multiple of 8 floats (zeros) so
/// every vector operation runs in whole `SIMD8<Float>` lanes.
public struct FactorMatrix: Sendable, Equatable {
    public let rows: Int
    public let factors: Int
    /// Floats per row: `factors` rounded up to a multiple of 8.
    public let stride: Int
    public internal(set) var storage: [Float]

    public init(rows: Int, factors: Int) {
        self.rows = rows
        self.factors = factors
        stride = (factors + 7) / 8 * 8
        storage = [Float](repeating: 0, count: rows * stride)
    }

    /// Row `r` (without the padding).
    public func row(_ r: Int) -> [Float] { Array(storage[(r * stride)..<(r * stride + factors)]) }

    public mutating func setRow(_ r: Int, _ values: [Float]) {
        precondition(values.count <= stride)
        for (k, value) in values.enumerated() { storage[r * stride + k] = value }
    }

    /// Rows drawn uniformly from [0, scale), as `implicit` starts, from a seeded generator.
    static func random(rows: Int, factors: Int, scale: Float, generator: inout some RandomNumberGenerator) -> FactorMatrix {
        var matrix = FactorMatrix(rows: rows, factors: factors)
        for r in 0..<rows {
            for k in 0..<factors { matrix.storage[r * matrix.stride + k] = Float.random(in: 0..<1, using: &generator) * scale }
        }
        return matrix
    }

    /// Σ rows·rowsᵀ + `diagonal`·I, as a stride × stride matrix (accumulated in Double).
    func gram(adding diagonal: Float) -> [Float] {
        var sums = [Double](repeating: 0, count: stride * stride)
        storage.withUnsafeBufferPointer { data in
            sums.withUnsafeMutableBufferPointer { sums in
                for r in 0..<rows {
                    let row = data.baseAddress! + r * stride
                    for a in 0..<factors {
                        let ya = Double(row[a])
                        if ya == 0 { continue }
                        for b in a..<factors { sums[a * stride + b] += ya * Double(row[b]) }
                    }
                }
            }
        }
        var gram = [Float](repeating: 0, count: stride * stride)
        for a in 0..<factors {
            for b in a..<factors {
                gram[a * stride + b] = Float(sums[a * stride + b])
                gram[b * stride + a] = Float(sums[a * stride + b])
            }
            gram[a * stride + a] += diagonal
        }
        return gram
    }
}

/// Vector kernels over padded rows, eight lanes at a time.
enum Lanes {
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum = SIMD8<Float>()
        var k = 0
        while k < count {
            sum += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self)
            k += 8
        }
        return sum.sum()
    }

    /// y += a·x
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var k = 0
        let scale = SIMD8<Float>(repeating: a)
        while k < count {
            let result = UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self)
                + scale * UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + k).storeBytes(of: result, as: SIMD8<Float>.self)
            k += 8
        }
    }

    /// out = m·x for a count × count row-major matrix.
    @inline(__always)
    static func multiply(_ m: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for row in 0..<count { out[row] = dot(m + row * count, x, count) }
    }
}
