import Foundation
import Kafka
import Logging
import ProviderSimulator
import Redis
import Switchboard
import Testing

/// The completer against failing providers, on the dev Kafka and Redis: retries, failover,
/// streaming failover rules, idempotency, and exact cost.
/// The heavy completer tests run one at a time, so their load does not time each other out.
@Suite("completer under load", .serialized)
struct CompleterLoadTests {}

extension CompleterLoadTests {
@Suite("completer resilience", .serialized, .timeLimit(.minutes(6)))
struct CompleterResilienceTests {
    static let principal = Principal(tenant: "acme", keyID: "acme-key")

    /// A second, healthy simulator on its own port.
    static func healthySimulator() async throws -> (ProviderSimulator, Task<Void, any Error>, Int) {
        try await PipelineHarness.startSimulator()
    }

    /// The flaky deployment's 5 s timeout is what catches its stalls; the healthy one never
    /// stalls, so its longer timeout only keeps a busy test machine (suites run side by side
    /// on 2 cores) from failing its calls.
    static func twoDeployments(healthyPort: Int) -> (providers: String, models: String) {
        ("""
          - {name: flaky, base_url: "$SIM", timeout_ms: 5000, connect_timeout_ms: 500}
          - {name: healthy, base_url: "http://127.0.0.1:\(healthyPort)", timeout_ms: 30000, connect_timeout_ms: 2000}
        """, """
          - name: sim-small
            input_usd_per_mtok: "0.15"
            output_usd_per_mtok: "0.60"
            deployments: [{provider: flaky, provider_model: gpt-4o-mini}, {provider: healthy, provider_model: gpt-4o-mini}]
        """)
    }

    func send(_ pipeline: PipelineHarness, ids: [String], stream: Bool = false) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    let request = ChatRequest(messages: [ChatMessage(role: "user", content: "question \(id)")], maxTokens: 16, stream: stream)
                    try await pipeline.producer.send(CompletionTask.record(requestID: id, principal: Self.principal, request: request,
                                                                           replyTo: pipeline.config.topics.results, topic: pipeline.config.topics.complete))
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("30% of calls fail (500, 429 with Retry-After, timeouts) with a healthy second deployment: 10,000 requests, ≥99.9% ok, one reply each, cost sums exact")
    func tenThousandWithFaults() async throws {
        let (healthy, healthyTask, healthyPort) = try await Self.healthySimulator()
        defer { healthyTask.cancel() }
        var flaky = SimulatorConfiguration()
        flaky.defaultBehaviour = RouteBehaviour(errorRates: [500: 0.1], rateLimitRate: 0.1, retryAfterSeconds: 1, stallRate: 0.1, stallSeconds: 10)
        let (providers, models) = Self.twoDeployments(healthyPort: healthyPort)
        let pipeline = try await PipelineHarness.start(simulatorConfiguration: flaky, window: 1000, roles: [.completer], providers: providers, models: models, completer: """
          retry: {max_attempts: 6, base_delay_ms: 20, max_delay_ms: 200, max_retry_after_ms: 2000}
          circuit_breaker: {failure_threshold: 10, open_ms: 500}
        """)
        let count = 10_000
        let ids = (0..<count).map { "faults-\(pipeline.id)-\($0)" }
        try await send(pipeline, ids: ids)
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: count, settle: .seconds(2), timeout: .seconds(240))
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: count, settle: .milliseconds(500), timeout: .seconds(60))
        await pipeline.stop()

        var perRequest: [String: Int] = [:]
        for record in replies { perRequest[record.header(CEHeader.requestID) ?? "", default: 0] += 1 }
        #expect(perRequest.count == count)
        #expect(perRequest.values.allSatisfy { $0 == 1 }, "each reply exactly once")
        let decoded = replies.compactMap { $0.decoded(Reply.self) }
        let ok = decoded.filter { $0.status == .ok }.count
        var codes: [String: Int] = [:]
        for reply in decoded where reply.status == .error { codes[(reply.error?.code.rawValue ?? "") + ": " + String((reply.error?.message ?? "").prefix(80)), default: 0] += 1 }
        print("error replies: \(codes.sorted { $0.value > $1.value }.prefix(5))")
        #expect(Double(ok) >= Double(count) * 0.999, "ok replies: \(ok) of \(count)")
        let events = usage.compactMap { $0.decoded(UsageEvent.self) }
        #expect(Set(events.map(\.requestID)).count == count && events.count == count)
        // Cost: exactly the price table applied to the tokens of each event, summed.
        let expected = events.reduce(Int64(0)) { $0 + Int64($1.inputTokens) * 150_000 + Int64($1.outputTokens) * 600_000 }
        #expect(events.reduce(Int64(0)) { $0 + $1.costPicoUSD } == expected)
        #expect(decoded.reduce(Int64(0)) { $0 + ($1.usage?.costPicoUSD ?? 0) } == expected)
        let retried = events.filter { ($0.retries ?? 0) > 0 }
        #expect(retried.count > count / 10, "faults were injected and retried")
        #expect(events.contains { $0.failover == true })
        #expect(events.allSatisfy { $0.attempts?.isEmpty == false })
        for record in usage.prefix(200) { #expect(pipeline.contractViolations(record, contract: "llm.usage.v1") == []) }
        for record in replies.prefix(200) { #expect(pipeline.contractViolations(record, contract: "llm.results.v1") == []) }
        let flakyStats = pipeline.simulator.stats()
        print("10k with faults: \(ok) ok, \(retried.count) retried, flaky saw \(flakyStats.totalRequests) (faults \(flakyStats.faultsInjected)), healthy saw \(healthy.stats().totalRequests)")
    }

    @Test("streaming: a drop before the first chunk fails over; a drop after it ends with an error event, never a truncated ok")
    func streamingFailover() async throws {
        let (healthy, healthyTask, healthyPort) = try await Self.healthySimulator()
        defer { healthyTask.cancel() }
        var dropping = SimulatorConfiguration()
        dropping.defaultBehaviour = RouteBehaviour(dropRate: 1, dropAfterEvents: 0)
        let (providers, models) = Self.twoDeployments(healthyPort: healthyPort)
        let early = try await PipelineHarness.start(simulatorConfiguration: dropping, roles: [.completer], providers: providers, models: models,
                                                     completer: "  retry: {max_attempts: 3}")
        let earlyID = "stream-early-\(early.id)"
        try await send(early, ids: [earlyID], stream: true)
        let earlyRecords = try await early.readAll(early.config.topics.results, atLeast: 2, settle: .seconds(2))
        let earlyUsage = try await early.readAll(early.config.topics.usage, atLeast: 1, settle: .milliseconds(300))
        await early.stop()
        let deltas = earlyRecords.filter { $0.header(CEHeader.type) == "llm.reply.delta.v1" }.compactMap { $0.decoded(ReplyDelta.self) }
        let finals = earlyRecords.filter { $0.header(CEHeader.type) == "llm.reply.v1" }.compactMap { $0.decoded(Reply.self) }
        #expect(finals.count == 1 && finals.first?.status == .ok)
        #expect(!deltas.isEmpty)
        #expect(deltas.map(\.sequence) == Array(0..<deltas.count), "deltas arrive in order, numbered without gaps")
        #expect(deltas.map(\.content).joined() == finals.first?.choices?.first?.message.content)
        #expect(finals.first?.usage.map { $0.inputTokens > 0 && $0.outputTokens > 0 } == true, "a streamed call is never billed as zero")
        for record in earlyRecords { #expect(early.contractViolations(record, contract: "llm.results.v1") == []) }
        let event = try #require(earlyUsage.compactMap { $0.decoded(UsageEvent.self) }.first)
        #expect(event.failover == true && event.stream == true && event.timeToFirstTokenMs != nil)

        var late = SimulatorConfiguration()
        late.defaultBehaviour = RouteBehaviour(dropRate: 1, dropAfterEvents: 3)
        let broken = try await PipelineHarness.start(simulatorConfiguration: late, roles: [.completer], providers: providers, models: models,
                                                     completer: "  retry: {max_attempts: 3}")
        let lateID = "stream-late-\(broken.id)"
        try await send(broken, ids: [lateID], stream: true)
        let lateRecords = try await broken.readAll(broken.config.topics.results, atLeast: 2, settle: .seconds(2))
        await broken.stop()
        let lateDeltas = lateRecords.filter { $0.header(CEHeader.type) == "llm.reply.delta.v1" }
        let lateFinal = lateRecords.filter { $0.header(CEHeader.type) == "llm.reply.v1" }.compactMap { $0.decoded(Reply.self) }
        #expect(!lateDeltas.isEmpty, "the caller saw chunks before the drop")
        #expect(lateFinal.count == 1 && lateFinal.first?.status == .error && lateFinal.first?.error?.code == .providerError)
        #expect(healthy.stats().requestsByRequestId[lateID] == nil, "no failover after the first chunk")
    }

    @Test("the request id is an idempotency key: a redelivered request re-emits its stored reply without a second provider call; a crashed process's marker expires")
    func idempotency() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer], completer: """
          idempotency: {in_flight_ttl_ms: 1500, poll_ms: 50, key_prefix: "test:$ID:"}
        """)
        let id = "dup-\(pipeline.id)"
        try await send(pipeline, ids: [id])
        _ = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1, settle: .milliseconds(200))
        try await send(pipeline, ids: [id])
        // A marker left by a process that died: the request waits for it to expire, then is answered.
        let orphan = "orphan-\(pipeline.id)"
        let redis = try await pipeline.runtime.connectRedis()
        _ = try await redis.send(["SET", RedisArgument("test:\(pipeline.id):\(orphan):marker"), "dead-process", "NX", "PX", "1500"])
        redis.shutdown()
        try await send(pipeline, ids: [orphan])
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 3, settle: .seconds(3))
        await pipeline.stop()
        let mine = replies.filter { $0.header(CEHeader.requestID) == id }
        #expect(mine.count == 2, "the redelivery got its reply again")
        #expect(Set(mine.map { $0.header(CEHeader.id) }).count == 1, "the same event id, so callers can drop the copy")
        #expect(mine.first?.value == mine.last?.value)
        #expect(pipeline.simulator.stats().requestsByRequestId[id] == 1, "the provider was called once")
        #expect(replies.filter { $0.header(CEHeader.requestID) == orphan }.count == 1)
        #expect(pipeline.simulator.stats().requestsByRequestId[orphan] == 1)
    }
}
}
