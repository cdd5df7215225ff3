import Synchronization

/// Counters a test can read to prove what the provider saw, from
/// ``ProviderSimulator/stats()`` or as JSON from `GET /_sim/stats`.
public struct SimulatorStats: Sendable, Codable, Equatable {
    /// Every request to a simulated route, whatever its outcome.
    public var totalRequests: Int
    /// Requests by route name (see ``SimulatedRoute``).
    public var requestsByRoute: [String: Int]
    /// Requests by their `x-request-id` header, so a test can tell a retried request (2)
    /// from one that reached the provider once (1).
    public var requestsByRequestId: [String: Int]
    /// Faults injected, by status code or by `stall`, `drop`, `malformed`.
    public var faultsInjected: [String: Int]

    /// Creates empty statistics.
    public init(totalRequests: Int = 0, requestsByRoute: [String: Int] = [:], requestsByRequestId: [String: Int] = [:], faultsInjected: [String: Int] = [:]) {
        self.totalRequests = totalRequests
        self.requestsByRoute = requestsByRoute
        self.requestsByRequestId = requestsByRequestId
        self.faultsInjected = faultsInjected
    }
}

/// The simulator's mutable state, shared by all connections: the fault generator, the
/// statistics and the prompt prefixes seen (for simulated prompt caching).
///
/// One short critical section per request keeps the fault sequence a pure function of the
/// seed and the order in which requests arrive.
final class SimulatorState: Sendable {
    private struct Inner {
        var generator: SplitMix64
        var stats = SimulatorStats()
        var seenPrefixes: Set<UInt64> = []
    }

    private let seed: UInt64
    private let requestIdLimit: Int
    private static let prefixLimit = 100_000
    private let inner: Mutex<Inner>

    init(seed: UInt64, requestIdLimit: Int) {
        self.seed = seed
        self.requestIdLimit = requestIdLimit
        inner = Mutex(Inner(generator: SplitMix64(seed: seed)))
    }

    /// Counts a request and returns its own seed, the next value of the shared generator.
    func admit(route: SimulatedRoute, requestId: String?) -> UInt64 {
        inner.withLock { state in
            state.stats.totalRequests += 1
            state.stats.requestsByRoute[route.rawValue, default: 0] += 1
            if let requestId {
                if let count = state.stats.requestsByRequestId[requestId] {
                    state.stats.requestsByRequestId[requestId] = count + 1
                } else if state.stats.requestsByRequestId.count < requestIdLimit {
                    state.stats.requestsByRequestId[requestId] = 1
                }
            }
            return state.generator.next()
        }
    }

    /// Counts an injected fault.
    func recordFault(_ fault: RequestPlan.Fault) {
        guard let name = fault.statName else { return }
        inner.withLock { $0.stats.faultsInjected[name, default: 0] += 1 }
    }

    /// Whether this prompt prefix was seen before; remembers it either way. Mirrors provider
    /// prompt caching, where a repeated prefix is served from cache.
    func checkPrefix(_ hash: UInt64) -> Bool {
        inner.withLock { state in
            if state.seenPrefixes.contains(hash) { return true }
            if state.seenPrefixes.count < Self.prefixLimit { state.seenPrefixes.insert(hash) }
            return false
        }
    }

    func stats() -> SimulatorStats {
        inner.withLock { $0.stats }
    }

    /// Clears statistics and the prefix cache and re-seeds the generator, so a test can
    /// replay a sequence of requests and get the same outcomes.
    func reset() {
        inner.withLock { $0 = Inner(generator: SplitMix64(seed: seed)) }
    }
}
