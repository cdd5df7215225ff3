import Synchronization

/// The time source of retries, circuits and deadlines, so tests can drive them with a manual
/// clock. Milliseconds on a monotonic scale; only differences mean anything.
public protocol GatewayClock: Sendable {
    var nowMs: Int64 { get }
    /// Waits `ms` milliseconds (a manual clock just moves on).
    func sleep(ms: Int64) async
}

/// The real clock: `ContinuousClock`, so wall-clock jumps never fire a retry early.
public struct SystemGatewayClock: GatewayClock {
    private static let origin = ContinuousClock.now

    public init() {}

    public var nowMs: Int64 {
        let d = ContinuousClock.now - Self.origin
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    public func sleep(ms: Int64) async {
        guard ms > 0 else { return }
        try? await Task.sleep(for: .milliseconds(ms))
    }
}

/// Uniform numbers in `0..<1` for jitter and weighted choice; injected so tests are repeatable.
public final class JitterSource: Sendable {
    private let state: Mutex<UInt64>
    private let seeded: Bool

    /// The system generator.
    public init() {
        state = Mutex(0)
        seeded = false
    }

    /// A seeded SplitMix64 sequence.
    public init(seed: UInt64) {
        state = Mutex(seed)
        seeded = true
    }

    public func next() -> Double {
        guard seeded else { return Double.random(in: 0..<1) }
        let bits = state.withLock { value -> UInt64 in
            value &+= 0x9E37_79B9_7F4A_7C15
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(bits >> 11) / Double(1 << 53)
    }
}
