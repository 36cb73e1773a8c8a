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

    /// Σ rows·rowsᵀ + `diagonal`·I, as a stride × stride matrix: one eight-lane multiply-add per row,
    /// factor and lane (Float32, as BLAS `ssyrk` would).
    func gram(adding diagonal: Float) -> [Float] {
        var gram = [Float](repeating: 0, count: stride * stride)
        storage.withUnsafeBufferPointer { data in
            gram.withUnsafeMutableBufferPointer { gram in
                for r in 0..<rows {
                    let row = data.baseAddress! + r * stride
                    for a in 0..<factors where row[a] != 0 {
                        Lanes.axpy(row[a], row, gram.baseAddress! + a * stride, stride)
                    }
                }
            }
        }
        for a in 0..<factors { gram[a * stride + a] += diagonal }
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

    /// out = m·x for a symmetric count × count matrix: a sum of its rows scaled by x, no horizontal sums.
    /// Up to 64 factors the sums stay in eight registers' worth of lanes instead of memory.
    @inline(__always)
    static func multiply(_ m: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        guard count <= 64 else {
            out.update(repeating: 0, count: count)
            for row in 0..<count where x[row] != 0 { axpy(x[row], m + row * count, out, count) }
            return
        }
        let raw = UnsafeRawPointer(m)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
        let lanes = count / 8
        for row in 0..<count {
            let scale = SIMD8<Float>(repeating: x[row])
            let base = raw + row * count * 4
            a0 += scale * base.loadUnaligned(as: SIMD8<Float>.self)
            if lanes > 1 { a1 += scale * base.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) }
            if lanes > 2 { a2 += scale * base.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) }
            if lanes > 3 { a3 += scale * base.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self) }
            if lanes > 4 { a4 += scale * base.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self) }
            if lanes > 5 { a5 += scale * base.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self) }
            if lanes > 6 { a6 += scale * base.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self) }
            if lanes > 7 { a7 += scale * base.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self) }
        }
        let target = UnsafeMutableRawPointer(out)
        target.storeBytes(of: a0, as: SIMD8<Float>.self)
        if lanes > 1 { target.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self) }
        if lanes > 2 { target.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self) }
        if lanes > 3 { target.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self) }
        if lanes > 4 { target.storeBytes(of: a4, toByteOffset: 128, as: SIMD8<Float>.self) }
        if lanes > 5 { target.storeBytes(of: a5, toByteOffset: 160, as: SIMD8<Float>.self) }
        if lanes > 6 { target.storeBytes(of: a6, toByteOffset: 192, as: SIMD8<Float>.self) }
        if lanes > 7 { target.storeBytes(of: a7, toByteOffset: 224, as: SIMD8<Float>.self) }
    }
}
