/// Element-wise kernels of the encoder (exp, erf, GELU, softmax, LayerNorm).
///
/// Written as plain loops over raw pointers with no calls, bounds checks or
/// overflow traps inside, so that LLVM vectorises them in release builds;
/// glibc's scalar `expf`/`erff` would cost more than the matrix products on
/// long inputs. Explicit `SIMD16<Float>` code is no faster in release and,
/// being generic, some thirty times slower in debug builds, where the
/// reference tests run.
///
/// Reductions are the exception: a running sum cannot be vectorised without
/// reassociating floating-point additions, so they use `SIMD8<Float>`
/// accumulators explicitly (a small share of the work, even in debug builds).
enum VectorMath {
    /// e^x for x ≤ 0 (Cephes `expf` polynomial: reduction by ln 2, degree-6
    /// polynomial, exponent built from bits). Absolute error below 5e-8 (under
    /// an ulp of 1); relative error up to 4e-6 only far out in the tail, where
    /// the one-constant reduction by k·ln 2 loses bits and results are below
    /// e^-20. Inputs below -87.3 are clamped there and give about 1e-38
    /// instead of 0 or a subnormal. Both are invisible in a softmax and keep
    /// the loop short and free of branches.
    @inline(__always)
    static func expNonPositive(_ input: Float) -> Float {
        let x = input < -87.3 ? -87.3 : input
        // Round x/ln2 to the nearest integer with the 1.5·2^23 trick: the
        // integer then also sits in the low mantissa bits of `shifted`.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let k = shifted - magic
        let r = x - k * 0.693_147_18
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * r * r + r + 1
        // 2^k: shift the integer into the exponent field and add the bias.
        return er * Float(bitPattern: (shifted.bitPattern &<< 23) &+ 0x3F80_0000)
    }

    /// erf(x) as a rational function on [-4, 4] (outside, erf is ±1 in
    /// float), the approximation of Eigen and XLA: absolute error below 5e-7,
    /// and no exp, so half the work of the A–S 7.1.26 form.
    @inline(__always)
    static func erf(_ input: Float) -> Float {
        let x = input < -4 ? -4 : (input > 4 ? 4 : input)
        let x2 = x * x
        var p: Float = -2.726_142_258_013_06e-10
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        var q: Float = -1.456_607_184_649_96e-05
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return x * p / q
    }

    /// `h[i] = gelu(h[i] + bias[i % cols])` for a rows × cols matrix, exact
    /// (erf) GELU: 0.5·x·(1 + erf(x/√2)).
    static func biasGELU(_ h: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let line = h + row * cols
            for c in 0..<cols {
                let x = line[c] + bias[c]
                line[c] = 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5))
            }
        }
    }

    /// `y[i] += bias[i % cols]` for a rows × cols matrix.
    static func addBias(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows {
            let line = y + row * cols
            for c in 0..<cols { line[c] += bias[c] }
        }
    }

    /// Unnormalised softmax of each row of a rows × cols matrix with leading
    /// dimension `ld`: `s[i][j] = exp(s[i][j] - max_j s[i][j])`, and
    /// `inverseSums[i] = 1 / Σ_j s[i][j]`. The caller applies the
    /// normalisation to the (much narrower) product with V instead of to
    /// every score. Subtracting the row maximum, as PyTorch does, keeps exp
    /// from overflowing.
    static func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int,
                            inverseSums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let line = s + row * ld
            let peak = maximum(line, cols)
            for c in 0..<cols { line[c] = expNonPositive(line[c] - peak) }
            inverseSums[row] = 1 / sum(line, cols)
        }
    }

    /// In place, for each row of a rows × cols matrix: `y = x + bias` (when
    /// given), then LayerNorm with biased variance:
    /// `(y - mean) / sqrt(var + eps) * gamma + beta`.
    static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
    ) {
        let n = Float(cols)
        for row in 0..<rows {
            let line = x + row * cols
            if let bias {
                for c in 0..<cols { line[c] += bias[c] }
            }
            let mean = sum(line, cols) / n
            for c in 0..<cols { line[c] -= mean }
            let inv = 1 / (sumOfSquares(line, cols) / n + eps).squareRoot()
            for c in 0..<cols { line[c] = line[c] * inv * gamma[c] + beta[c] }
        }
    }

    /// Sum of `p[0..<n]`.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>.zero
        var c = 0
        while c + 8 <= n {
            acc += UnsafeRawPointer(p + c).loadUnaligned(as: SIMD8<Float>.self)
            c += 8
        }
        var total = acc.sum()
        while c < n { total += p[c]; c += 1 }
        return total
    }

    /// Sum of squares of `p[0..<n]`.
    @inline(__always)
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>.zero
        var c = 0
        while c + 8 <= n {
            let v = UnsafeRawPointer(p + c).loadUnaligned(as: SIMD8<Float>.self)
            acc += v * v
            c += 8
        }
        var total = acc.sum()
        while c < n { total += p[c] * p[c]; c += 1 }
        return total
    }

    /// Largest of `p[0..<n]` (−∞ for n = 0). Four scalar accumulators: LLVM
    /// lowers `SIMD8.pointwiseMax` here to slower code than this.
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
        var c = 0
        while c + 4 <= n {
            m0 = p[c] > m0 ? p[c] : m0
            m1 = p[c + 1] > m1 ? p[c + 1] : m1
            m2 = p[c + 2] > m2 ? p[c + 2] : m2
            m3 = p[c + 3] > m3 ? p[c + 3] : m3
            c += 4
        }
        while c < n { m0 = p[c] > m0 ? p[c] : m0; c += 1 }
        return max(max(m0, m1), max(m2, m3))
    }
}
