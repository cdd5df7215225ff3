import Testing
@testable import Switchboard

@Suite("retry policy and circuit breaker")
struct RetryAndCircuitTests {
    @Test("full jitter stays within base·2^retry, capped at the maximum")
    func backoffBounds() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 2_000)
        #expect(policy.ceilingMs(retry: 0) == 100)
        #expect(policy.ceilingMs(retry: 3) == 800)
        #expect(policy.ceilingMs(retry: 4) == 1_000)
        #expect(policy.ceilingMs(retry: 500) == 1_000)
        #expect(policy.backoffMs(retry: 2, unit: 0) == 0)
        #expect(policy.backoffMs(retry: 2, unit: 0.5) == 200)
        #expect(policy.backoffMs(retry: 2, unit: 0.9999999) <= 400)
        let jitter = JitterSource(seed: 7)
        let draws = (0..<1000).map { _ in policy.backoffMs(retry: 1, unit: jitter.next()) }
        #expect(draws.allSatisfy { (0...200).contains($0) })
        #expect(Set(draws).count > 50, "jitter spreads retries out")
    }

    @Test("Retry-After is honoured up to the cap, beyond it the request does not wait")
    func retryAfterCap() {
        let policy = RetryPolicy(maxRetryAfterMs: 2_000)
        #expect(policy.honouredRetryAfterMs(1_500) == 1_500)
        #expect(policy.honouredRetryAfterMs(2_500) == nil)
        #expect(policy.honouredRetryAfterMs(nil) == 0)
    }

    func admit(_ breaker: inout CircuitBreaker, _ now: Int64) -> Bool { breaker.admit(nowMs: now) }

    @Test("a circuit opens after consecutive failures, probes once when half-open, closes on success")
    func circuitLifecycle() {
        var breaker = CircuitBreaker(failureThreshold: 3, openMs: 1_000)
        breaker.recordFailure(nowMs: 0)
        breaker.recordFailure(nowMs: 0)
        breaker.recordSuccess()
        breaker.recordFailure(nowMs: 0)
        breaker.recordFailure(nowMs: 0)
        #expect(admit(&breaker, 0), "a success resets the count")
        breaker.recordFailure(nowMs: 10)
        #expect(breaker.state == .open(untilMs: 1_010))
        #expect(!admit(&breaker, 500))
        #expect(admit(&breaker, 1_010), "the first call after the open period is the probe")
        #expect(!admit(&breaker, 1_011), "only one probe at a time")
        breaker.recordFailure(nowMs: 1_100)
        #expect(breaker.state == .open(untilMs: 2_100), "a failed probe opens the circuit again")
        #expect(admit(&breaker, 2_100))
        breaker.recordSuccess()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        #expect(admit(&breaker, 2_101))
    }

    @Test("weighted routing follows the weights; least-latency prefers the fastest measured deployment")
    func loadBalancing() {
        let health = DeploymentHealth()
        let a = DeploymentConfig(provider: "a", providerModel: "m", weight: 3)
        let b = DeploymentConfig(provider: "b", providerModel: "m", weight: 1)
        let balancer = LoadBalancer(health: health, jitter: JitterSource(seed: 42))
        var firsts: [String: Int] = [:]
        for _ in 0..<4000 { firsts[balancer.order([a, b], strategy: .weighted)[0].provider, default: 0] += 1 }
        #expect((2700...3300).contains(firsts["a"] ?? 0))
        #expect(balancer.order([a, b], strategy: .weighted).count == 2, "the rest stays the failover chain")
        health.record(a.id, error: nil, latencyMs: 300, nowMs: 0)
        health.record(b.id, error: nil, latencyMs: 100, nowMs: 0)
        #expect(balancer.order([a, b], strategy: .leastLatency).map(\.provider) == ["b", "a"])
        #expect(balancer.order([a, b], strategy: .ordered).map(\.provider) == ["a", "b"])
    }
}
