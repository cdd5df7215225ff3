import Foundation

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
///
/// The simulator needs outcomes that repeat exactly for a seed, which the system generator
/// cannot give.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in `0..<1` with 53 random bits.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}

extension LatencyDistribution {
    /// Draws one delay. Always draws the same number of values for a kind, so later draws
    /// from the same generator do not shift with the outcome.
    func sample(using generator: inout SplitMix64) -> Duration {
        let milliseconds: Double
        switch kind {
        case .none:
            return .zero
        case .fixed:
            milliseconds = self.milliseconds
        case .uniform:
            milliseconds = min + (max - min) * generator.nextUnit()
        case .lognormal:
            // ln(X) ~ N(mu, sigma²) with exp(mu) = p50 and exp(mu + z99 * sigma) = p99.
            let z99 = 2.326_347_874_040_840_8
            let sigma = log(p99 / p50) / z99
            // Box–Muller; 1 - u keeps the logarithm's argument above 0.
            let u1 = 1 - generator.nextUnit()
            let u2 = generator.nextUnit()
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            milliseconds = p50 * exp(sigma * normal)
        }
        return .microseconds(Int64((Swift.max(0, milliseconds) * 1000).rounded()))
    }
}

/// 64-bit FNV-1a, a stable hash: Swift's `Hasher` is seeded per process, and simulated
/// answers must be the same in every run.
struct StableHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func combine(_ text: String) {
        for byte in text.utf8 {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        value = (value ^ 0xFF) &* 0x0000_0100_0000_01B3
    }

    static func of(_ parts: String...) -> UInt64 {
        var hash = StableHash()
        for part in parts { hash.combine(part) }
        return hash.value
    }
}
