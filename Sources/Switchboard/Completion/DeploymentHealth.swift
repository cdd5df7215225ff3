import Synchronization

/// What the gateway knows about each deployment, shared by all requests of a process: its
/// circuit, how long it cools down after a rate limit, and its recent latency.
public final class DeploymentHealth: Sendable {
    struct Entry {
        var breaker: CircuitBreaker
        var coolUntilMs: Int64 = 0
        /// Exponentially weighted moving average of successful call latency, nil until known.
        var latencyMs: Double?
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let failureThreshold: Int
    private let openMs: Int64
    /// A half-open circuit whose probe is running is tried again after this long.
    static let probeWaitMs: Int64 = 50

    public init(failureThreshold: Int = 5, openMs: Int64 = 5_000) {
        self.failureThreshold = failureThreshold
        self.openMs = openMs
    }

    public convenience init(_ settings: CircuitBreakerSettings) {
        self.init(failureThreshold: settings.failureThreshold, openMs: Int64(settings.openMs))
    }

    private func withEntry<T>(_ id: String, _ body: (inout Entry) -> T) -> T {
        entries.withLock { all in
            var entry = all[id] ?? Entry(breaker: CircuitBreaker(failureThreshold: failureThreshold, openMs: openMs))
            let result = body(&entry)
            all[id] = entry
            return result
        }
    }

    /// Claims a call to `id` now: not cooling down and its circuit lets the call through.
    public func admit(_ id: String, nowMs: Int64) -> Bool {
        withEntry(id) { entry in
            guard nowMs >= entry.coolUntilMs else { return false }
            return entry.breaker.admit(nowMs: nowMs)
        }
    }

    /// When `id` can next be called.
    public func availableAtMs(_ id: String, nowMs: Int64) -> Int64 {
        withEntry(id) { entry in
            var at = max(entry.coolUntilMs, entry.breaker.availableAtMs(nowMs: nowMs))
            if case .halfOpen(true) = entry.breaker.state { at = max(at, nowMs + Self.probeWaitMs) }
            return at
        }
    }

    /// Records the outcome of a call to `id`.
    public func record(_ id: String, error: ProviderError?, latencyMs: Double, nowMs: Int64, coolDownMs: Int64 = 0) {
        withEntry(id) { entry in
            if let error, error.isDeploymentFault {
                entry.breaker.recordFailure(nowMs: nowMs)
            } else {
                entry.breaker.recordSuccess()
            }
            if error == nil {
                entry.latencyMs = entry.latencyMs.map { $0 * 0.8 + latencyMs * 0.2 } ?? latencyMs
            }
            if coolDownMs > 0 { entry.coolUntilMs = max(entry.coolUntilMs, nowMs + coolDownMs) }
        }
    }

    /// The circuit of `id`, for metrics and tests.
    public func circuit(_ id: String) -> CircuitBreaker.State {
        withEntry(id) { $0.breaker.state }
    }

    /// Recent latency of `id`, nil until a call succeeded.
    public func latencyMs(_ id: String) -> Double? {
        withEntry(id) { $0.latencyMs }
    }
}
