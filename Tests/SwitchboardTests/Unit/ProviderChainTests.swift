import Synchronization
import Testing
@testable import Switchboard

/// A clock that only moves when someone sleeps on it.
final class ManualClock: GatewayClock {
    private let now = Mutex<Int64>(0)
    let slept = Mutex<[Int64]>([])
    var nowMs: Int64 { now.withLock { $0 } }
    func sleep(ms: Int64) async {
        slept.withLock { $0.append(ms) }
        now.withLock { $0 += max(0, ms) }
    }
    func advance(_ ms: Int64) { now.withLock { $0 += ms } }
}

/// A provider that answers from a script of outcomes, one per call.
final class ScriptedProvider: ChatProvider {
    let name: String
    private let script: Mutex<[Result<String, ProviderError>]>
    let calls = Mutex(0)
    /// Chunks sent before a streamed failure.
    let chunksBeforeFailure: Int

    init(_ name: String, _ script: [Result<String, ProviderError>], chunksBeforeFailure: Int = 0) {
        self.name = name
        self.script = Mutex(script)
        self.chunksBeforeFailure = chunksBeforeFailure
    }

    private func next() -> Result<String, ProviderError> {
        calls.withLock { $0 += 1 }
        return script.withLock { $0.isEmpty ? .success("fine") : $0.removeFirst() }
    }

    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        let text = try next().get()
        return ProviderResponse(content: text, finishReason: "stop", inputTokens: 10, outputTokens: 5, model: request.model)
    }

    func stream(_ request: ProviderRequest, onDelta: DeltaHandler) async throws(ProviderError) -> ProviderResponse {
        switch next() {
        case .success(let text):
            await onDelta(text)
            return ProviderResponse(content: text, finishReason: "stop", inputTokens: 10, outputTokens: 5, model: request.model)
        case .failure(let error):
            for i in 0..<chunksBeforeFailure { await onDelta("part \(i)") }
            throw error
        }
    }
}

@Suite("provider chain: retries, failover, circuits, deadlines")
struct ProviderChainTests {
    let request = ProviderRequest(model: "m", messages: [ChatMessage(role: "user", content: "hi")], maxTokens: 8, temperature: nil,
                                  requestID: "r1", timeout: .seconds(5))

    func model(_ providers: [String], routing: RoutingStrategy = .ordered) -> ModelConfig {
        ModelConfig(name: "m", deployments: providers.map { DeploymentConfig(provider: $0, providerModel: "m") },
                    inputPrice: Price(picoUSDPerToken: 1), outputPrice: Price(picoUSDPerToken: 2), routing: routing)
    }

    func chain(_ providers: [ScriptedProvider], clock: ManualClock, health: DeploymentHealth = DeploymentHealth(),
               policy: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 2_000)) -> ProviderChain {
        ProviderChain(providers: Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0 as any ChatProvider) }), health: health,
                      policy: policy, clock: clock, jitter: JitterSource(seed: 1))
    }

    @Test("a 500 fails over to the next deployment at once; the answer records both attempts")
    func failover() async {
        let clock = ManualClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.serverError, "boom", status: 500))])
        let b = ScriptedProvider("b", [])
        let outcome = await chain([a, b], clock: clock).run(request, model: model(["a", "b"]), deadlineMs: 60_000)
        #expect((try? outcome.result.get())?.content == "fine")
        #expect(outcome.attempts.map(\.deployment) == ["a/m", "b/m"])
        #expect(outcome.attempts.map(\.errorClass) == ["server_error", nil])
        #expect(clock.slept.withLock { $0 }.isEmpty, "failover to an untried deployment does not wait")
    }

    @Test("a single deployment is retried with backoff until it answers")
    func retrySameDeployment() async {
        let clock = ManualClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.timeout, "slow")), .failure(ProviderError(.unavailable, "reset"))])
        let outcome = await chain([a], clock: clock).run(request, model: model(["a"]), deadlineMs: 60_000)
        #expect(outcome.attempts.count == 3)
        #expect((try? outcome.result.get()) != nil)
        let slept = clock.slept.withLock { $0 }
        #expect(slept.count == 2 && slept[0] <= 100 && slept[1] <= 200)
    }

    @Test("non-retriable errors are not retried")
    func nonRetriable() async {
        let a = ScriptedProvider("a", [.failure(ProviderError(.contextTooLong, "too long", status: 400))])
        let b = ScriptedProvider("b", [])
        let outcome = await chain([a, b], clock: ManualClock()).run(request, model: model(["a", "b"]), deadlineMs: 60_000)
        #expect(outcome.attempts.count == 1)
        #expect(b.calls.withLock { $0 } == 0)
        guard case .failure(let error) = outcome.result else { Issue.record("expected a failure"); return }
        #expect(error.kind == .contextTooLong)
    }

    @Test("a 429 with Retry-After within the cap waits that long and retries")
    func retryAfterHonoured() async {
        let clock = ManualClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.rateLimited, "slow down", status: 429, retryAfterMs: 1_500))])
        let outcome = await chain([a], clock: clock).run(request, model: model(["a"]), deadlineMs: 60_000)
        #expect((try? outcome.result.get()) != nil)
        #expect(clock.nowMs >= 1_500, "the retry came after the provider's Retry-After")
    }

    @Test("a Retry-After beyond the cap fails with the provider's retry-after instead of holding the request")
    func retryAfterTooLong() async {
        let clock = ManualClock()
        let a = ScriptedProvider("a", [.failure(ProviderError(.rateLimited, "later", status: 429, retryAfterMs: 30_000))])
        let outcome = await chain([a], clock: clock).run(request, model: model(["a"]), deadlineMs: 60_000)
        guard case .failure(let error) = outcome.result else { Issue.record("expected a failure"); return }
        #expect(error.kind == .rateLimited)
        #expect((error.retryAfterMs ?? 0) > 2_000)
        #expect(a.calls.withLock { $0 } == 1)
    }

    @Test("the deadline stops retries")
    func deadline() async {
        let clock = ManualClock()
        let a = ScriptedProvider("a", Array(repeating: .failure(ProviderError(.serverError, "x", status: 500)), count: 10))
        let policy = RetryPolicy(maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 1_000, maxRetryAfterMs: 2_000)
        let outcome = await chain([a], clock: clock, policy: policy).run(request, model: model(["a"]), deadlineMs: 1_500)
        #expect(outcome.attempts.count < 10)
        #expect(clock.nowMs <= 1_500)
        guard case .failure = outcome.result else { Issue.record("expected a failure"); return }
    }

    @Test("an open circuit sends requests to the next deployment without calling the broken one")
    func openCircuitSkipped() async {
        let clock = ManualClock()
        let health = DeploymentHealth(failureThreshold: 2, openMs: 10_000)
        let a = ScriptedProvider("a", Array(repeating: .failure(ProviderError(.serverError, "down", status: 500)), count: 2))
        let b = ScriptedProvider("b", [])
        let c = chain([a, b], clock: clock, health: health)
        for _ in 0..<2 { _ = await c.run(request, model: model(["a", "b"]), deadlineMs: 60_000) }
        #expect(health.circuit("a/m") == .open(untilMs: 10_000))
        let outcome = await c.run(request, model: model(["a", "b"]), deadlineMs: 60_000)
        #expect(outcome.attempts.map(\.deployment) == ["b/m"])
        #expect(a.calls.withLock { $0 } == 2)
        clock.advance(10_000)
        let probe = await c.run(request, model: model(["a", "b"]), deadlineMs: 70_000)
        #expect(probe.attempts.first?.deployment == "a/m", "after the open period the next request probes")
        #expect(health.circuit("a/m") == .closed(consecutiveFailures: 0))
    }

    @Test("a stream fails over before its first chunk, and ends with an error after it")
    func streamFailover() async {
        let clock = ManualClock()
        let dropBefore = ScriptedProvider("a", [.failure(ProviderError(.unavailable, "dropped"))])
        let b = ScriptedProvider("b", [])
        let chunks = Mutex<[String]>([])
        let ok = await chain([dropBefore, b], clock: clock).run(request, model: model(["a", "b"]), deadlineMs: 60_000) { text in
            chunks.withLock { $0.append(text) }
        }
        #expect((try? ok.result.get())?.content == "fine")
        #expect(ok.attempts.count == 2)

        let dropAfter = ScriptedProvider("c", [.failure(ProviderError(.unavailable, "dropped"))], chunksBeforeFailure: 1)
        let d = ScriptedProvider("d", [])
        let broken = await chain([dropAfter, d], clock: clock).run(request, model: model(["c", "d"]), deadlineMs: 60_000) { _ in }
        guard case .failure(let error) = broken.result else { Issue.record("a broken stream must not succeed"); return }
        #expect(error.kind == .streamInterrupted)
        #expect(d.calls.withLock { $0 } == 0, "no failover once a chunk reached the caller")
    }
}
