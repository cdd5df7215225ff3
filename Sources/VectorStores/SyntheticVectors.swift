import Glibc

/// Seeded, structured stand-ins for sentence embeddings, for benchmarks and crash tests.
///
/// A mixture of Gaussians that are flat rather than round: `clusters` centres drawn uniformly on
/// the unit sphere, each with its own random `spread`-dimensional subspace. A point is its
/// cluster's centre, plus a Gaussian offset inside that subspace (standard deviation
/// `withinCluster` per direction), plus a little isotropic noise (`noise` per dimension), then
/// L2-normalised. Real embeddings look like this: topics far apart, each spread along a few
/// directions; uniform random vectors in 384 dimensions would have no near neighbours worth
/// finding. Point `i` depends only on the seed and `i`, so two processes agree on it.
public struct SyntheticVectors: Sendable {
    public let dimension: Int
    public let clusters: Int
    public let spread: Int
    public let withinCluster: Float
    public let noise: Float
    public let seed: UInt64
    private let centres: [[Float]]
    private let bases: [[[Float]]]

    public init(dimension: Int, clusters: Int = 100, spread: Int = 12, withinCluster: Float = 0.35,
                noise: Float = 0.02, seed: UInt64 = 42) {
        self.dimension = dimension
        self.clusters = max(1, clusters)
        self.spread = spread
        self.withinCluster = withinCluster
        self.noise = noise
        self.seed = seed
        var random = SeededRandom(seed: seed)
        centres = (0..<max(1, clusters)).map { _ in Self.normalised((0..<dimension).map { _ in random.gaussian() }) }
        bases = (0..<max(1, clusters)).map { _ in
            (0..<spread).map { _ in Self.normalised((0..<dimension).map { _ in random.gaussian() }) }
        }
    }

    /// The cluster point `i` belongs to.
    public func cluster(of i: Int) -> Int {
        var random = SeededRandom(seed: seed ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
        return Int(random.next() % UInt64(clusters))
    }

    /// Point `i`, of unit length.
    public func vector(_ i: Int) -> [Float] {
        var random = SeededRandom(seed: seed ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
        let c = Int(random.next() % UInt64(clusters))
        var v = centres[c]
        for direction in bases[c] {
            let a = withinCluster * random.gaussian()
            for d in 0..<dimension { v[d] += a * direction[d] }
        }
        for d in 0..<dimension { v[d] += noise * random.gaussian() }
        return Self.normalised(v)
    }

    static func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}

/// SplitMix64 with Box-Muller normals: small, fast and identical on every platform.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Float { Float((next() >> 40) + 1) / Float(1 << 24) }

    mutating func gaussian() -> Float {
        let u = uniform(), v = uniform()
        return (-2 * logf(u)).squareRoot() * cosf(2 * Float.pi * v)
    }
}
