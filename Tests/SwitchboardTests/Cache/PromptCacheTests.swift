import Foundation
import Kafka
import Logging
import ProviderSimulator
import Redis
import Switchboard
import Testing

/// The prompt cache end to end: completer on the dev Kafka, Redis, and the provider simulator,
/// which counts every provider call the cache did not save.
extension CompleterLoadTests {
@Suite("prompt cache", .serialized, .timeLimit(.minutes(4)))
struct PromptCacheTests {
    static let acme = Principal(tenant: "acme", keyID: "acme-key")
    static let globex = Principal(tenant: "globex", keyID: "globex-key")

    /// A completion task as the gateway (and router/retriever) would write it.
    static func task(_ pipeline: PipelineHarness, id: String, text: String, principal: Principal = acme, temperature: Double? = 0,
                     stream: Bool = false, cache: CacheDirective? = nil, indexVersion: String? = nil) throws -> KafkaOutgoingRecord {
        var request = ChatRequest(messages: [ChatMessage(role: "user", content: text)], maxTokens: 16, temperature: temperature, stream: stream)
        request.cache = cache
        let record = CompletionTask.record(requestID: id, principal: principal, request: request, replyTo: pipeline.config.topics.results,
                                           topic: pipeline.config.topics.complete)
        guard let indexVersion else { return record }
        var task = try EventCoding.decode(CompletionTask.self, from: record.value ?? [])
        task.request.retrieval = RetrievalRequest(collection: "handbook")
        task.retrieval = RetrievalResult(collection: "handbook", indexVersion: indexVersion, sources: [])
        return KafkaOutgoingRecord(topic: record.topic, key: record.key, value: EventCoding.encode(task), headers: record.headers)
    }

    /// Sends `records` one after another, each once the previous one's reply arrived, and
    /// returns the final replies (not deltas) by request id.
    static func sendInTurn(_ pipeline: PipelineHarness, _ records: [KafkaOutgoingRecord]) async throws -> [String: Reply] {
        var replies: [String: Reply] = [:]
        for (index, record) in records.enumerated() {
            try await pipeline.producer.send(record)
            let all = try await pipeline.readAll(pipeline.config.topics.results, atLeast: index + 1, settle: .zero, timeout: .seconds(30))
            for record in all where record.header(CEHeader.type) == "llm.reply.v1" {
                if let reply = record.decoded(Reply.self) { replies[reply.requestID] = reply }
            }
        }
        return replies
    }

    static func finalReplies(_ records: [KafkaRecord]) -> [Reply] {
        records.filter { $0.header(CEHeader.type) == "llm.reply.v1" }.compactMap { $0.decoded(Reply.self) }
    }

    @Test("20 identical requests at once make one provider call; the others are served its answer, and the usage records the saving")
    func singleFlight() async throws {
        var slow = SimulatorConfiguration()
        slow.defaultBehaviour.latency = LatencyDistribution(kind: .fixed, milliseconds: 400)
        let pipeline = try await PipelineHarness.start(simulatorConfiguration: slow, roles: [.completer])
        let ids = (0..<20).map { "flight-\(pipeline.id)-\($0)" }
        for id in ids { try await pipeline.producer.send(try Self.task(pipeline, id: id, text: "What is the capital of Australia?")) }
        let replies = Self.finalReplies(try await pipeline.readAll(pipeline.config.topics.results, atLeast: 20, settle: .milliseconds(500)))
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 20, settle: .zero).compactMap { $0.decoded(UsageEvent.self) }
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()

        #expect(calls == 1, "provider calls: \(calls)")
        #expect(replies.count == 20 && replies.allSatisfy { $0.status == .ok })
        #expect(Set(replies.compactMap { $0.choices?.first?.message.content }).count == 1, "everyone got the same answer")
        #expect(replies.filter { $0.cache?.outcome == .miss }.count == 1)
        let hits = replies.filter { $0.cache?.outcome == .hit }
        #expect(hits.count == 19 && hits.allSatisfy { $0.usage?.costPicoUSD == 0 })
        let paid = try #require(replies.first { $0.cache?.outcome == .miss }?.usage?.costPicoUSD)
        #expect(paid > 0 && hits.allSatisfy { $0.cache?.savedCostPicoUSD == paid })
        #expect(usage.filter { $0.cache == .hit && $0.cacheSavedPicoUSD == paid && $0.costPicoUSD == 0 }.count == 19)
    }

    @Test("two tenants asking the same question: two provider calls; each tenant's repeat is its own hit")
    func tenantIsolation() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer])
        let p = pipeline.id, q = "How do I reset my password?"
        let replies = try await Self.sendInTurn(pipeline, [
            try Self.task(pipeline, id: "a1-\(p)", text: q), try Self.task(pipeline, id: "g1-\(p)", text: q, principal: Self.globex),
            try Self.task(pipeline, id: "a2-\(p)", text: q), try Self.task(pipeline, id: "g2-\(p)", text: q, principal: Self.globex),
        ])
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()
        #expect(calls == 2, "provider calls: \(calls)")
        #expect(replies["a1-\(p)"]?.cache?.outcome == .miss && replies["g1-\(p)"]?.cache?.outcome == .miss)
        #expect(replies["a2-\(p)"]?.cache?.outcome == .hit && replies["g2-\(p)"]?.cache?.outcome == .hit)
    }

    @Test("cache off always calls; a sampled request is not cached unless the caller opts in; errors are never cached")
    func modes() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer])
        let p = pipeline.id
        let replies = try await Self.sendInTurn(pipeline, [
            try Self.task(pipeline, id: "off1-\(p)", text: "off question", cache: CacheDirective(mode: .off)),
            try Self.task(pipeline, id: "off2-\(p)", text: "off question", cache: CacheDirective(mode: .off)),
            try Self.task(pipeline, id: "t1-\(p)", text: "sampled question", temperature: 0.7),
            try Self.task(pipeline, id: "t2-\(p)", text: "sampled question", temperature: 0.7),
            try Self.task(pipeline, id: "on1-\(p)", text: "opted-in question", temperature: 0.7, cache: CacheDirective(mode: .on)),
            try Self.task(pipeline, id: "on2-\(p)", text: "opted-in question", temperature: 0.7, cache: CacheDirective(mode: .on)),
        ])
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()
        #expect(calls == 5, "off ×2, sampled ×2, opted in ×1; got \(calls)")
        for id in ["off1", "off2", "t1", "t2"] { #expect(replies["\(id)-\(p)"]?.cache?.outcome == .bypass, "\(id)") }
        #expect(replies["on1-\(p)"]?.cache?.outcome == .miss && replies["on2-\(p)"]?.cache?.outcome == .hit)

        var failing = SimulatorConfiguration()
        failing.defaultBehaviour.errorRates = [500: 1.0]
        let broken = try await PipelineHarness.start(simulatorConfiguration: failing, roles: [.completer])
        let errors = try await Self.sendInTurn(broken, [try Self.task(broken, id: "e1-\(p)", text: "q"), try Self.task(broken, id: "e2-\(p)", text: "q")])
        let errorCalls = broken.simulator.stats().totalRequests
        await broken.stop()
        #expect(errors.values.allSatisfy { $0.status == .error } && errors.count == 2)
        #expect(errorCalls == 2, "an error is not served from the cache: \(errorCalls) calls")
    }

    @Test("a new index version of the retrieval context misses; the old version still hits")
    func indexVersionInvalidates() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer])
        let p = pipeline.id, q = "What is the travel policy?"
        let replies = try await Self.sendInTurn(pipeline, [
            try Self.task(pipeline, id: "v1a-\(p)", text: q, indexVersion: "v1"), try Self.task(pipeline, id: "v1b-\(p)", text: q, indexVersion: "v1"),
            try Self.task(pipeline, id: "v2a-\(p)", text: q, indexVersion: "v2"),
        ])
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()
        #expect(calls == 2, "provider calls: \(calls)")
        #expect(replies["v1b-\(p)"]?.cache?.outcome == .hit && replies["v2a-\(p)"]?.cache?.outcome == .miss)
    }

    @Test("a streamed request is served from the cache as delta events, then the final reply")
    func streamFromCache() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer])
        let p = pipeline.id, q = "Explain what a REST API is."
        let replies = try await Self.sendInTurn(pipeline, [
            try Self.task(pipeline, id: "plain-\(p)", text: q), try Self.task(pipeline, id: "streamed-\(p)", text: q, stream: true),
        ])
        let records = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 2, settle: .milliseconds(300))
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()
        let deltas = records.filter { $0.header(CEHeader.type) == "llm.reply.delta.v1" }.compactMap { $0.decoded(ReplyDelta.self) }
            .filter { $0.requestID == "streamed-\(p)" }
        let final = try #require(replies["streamed-\(p)"])
        #expect(calls == 1)
        #expect(final.cache?.outcome == .hit)
        #expect(deltas.count > 1 && deltas.map(\.sequence) == Array(0..<deltas.count))
        #expect(deltas.map(\.content).joined() == final.choices?.first?.message.content)
        #expect(final.choices?.first?.message.content == replies["plain-\(p)"]?.choices?.first?.message.content)
        let order = records.compactMap { $0.header(CEHeader.requestID) == "streamed-\(p)" ? $0.header(CEHeader.type) : nil }
        #expect(order.last == "llm.reply.v1", "the final reply comes after the deltas")
    }

    @Test("hit replies and usage events match their topic contracts")
    func contracts() async throws {
        let pipeline = try await PipelineHarness.start(roles: [.completer])
        let p = pipeline.id
        _ = try await Self.sendInTurn(pipeline, [try Self.task(pipeline, id: "c1-\(p)", text: "q?"), try Self.task(pipeline, id: "c2-\(p)", text: "q?")])
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 2, settle: .zero)
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 2, settle: .zero)
        await pipeline.stop()
        for record in replies { #expect(pipeline.contractViolations(record, contract: "llm.results.v1") == []) }
        for record in usage { #expect(pipeline.contractViolations(record, contract: "llm.usage.v1") == []) }
        #expect(usage.compactMap { $0.decoded(UsageEvent.self) }.contains { $0.cache == .hit })
    }

    @Test("routing in the gateway: an exact hit is answered there without the completer; misses, other tenants and streams go on to it")
    func gatewayHit() async throws {
        // No router stage: the gateway routes in its own process and looks exact answers up.
        let pipeline = try await PipelineHarness.start(roles: [.gateway, .completer], withRedis: true)
        let p = pipeline.id, q = "What is the capital of Australia?"
        func request(_ id: String, key: String = PipelineHarness.devKey, stream: Bool = false) -> KafkaOutgoingRecord {
            RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: q)], maxTokens: 16, temperature: 0, stream: stream),
                               apiKey: key, topic: pipeline.config.topics.requests, requestID: id)
        }
        let replies = try await Self.sendInTurn(pipeline, [
            request("a1-\(p)"), request("a2-\(p)"), request("g1-\(p)", key: PipelineHarness.secondKey), request("a3-\(p)", stream: true),
        ])
        let topics = pipeline.config.topics
        let completer = try await pipeline.readAll(topics.complete, atLeast: 3, settle: .milliseconds(300))
        let usageRecords = try await pipeline.readAll(topics.usage, atLeast: 4, settle: .milliseconds(300))
        let usage = usageRecords.compactMap { $0.decoded(UsageEvent.self) }
        let calls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()

        #expect(calls == 2, "one call per tenant: \(calls)")
        #expect(replies["a1-\(p)"]?.cache?.outcome == .miss && replies["g1-\(p)"]?.cache?.outcome == .miss)
        let hit = try #require(replies["a2-\(p)"])
        #expect(hit.status == .ok && hit.cache?.outcome == .hit && hit.usage?.costPicoUSD == 0)
        #expect(hit.choices?.first?.message.content == replies["a1-\(p)"]?.choices?.first?.message.content)
        #expect(hit.timings["gateway_ms"] != nil && hit.timings["completer_ms"] == nil, "answered by the gateway: \(hit.timings)")
        // The streamed repeat needs delta events: the completer serves it from the cache.
        let streamed = try #require(replies["a3-\(p)"])
        #expect(streamed.cache?.outcome == .hit && streamed.timings["completer_ms"] != nil)
        let forwarded = Set(completer.compactMap { $0.header(CEHeader.id) })
        #expect(forwarded == ["a1-\(p)", "g1-\(p)", "a3-\(p)"], "the hit never reached the completer's topic")
        let event = try #require(usage.first { $0.requestID == "a2-\(p)" })
        #expect(event.stage == "gateway" && event.cache == .hit && event.costPicoUSD == 0 && (event.cacheSavedPicoUSD ?? 0) > 0)
        for record in usageRecords { #expect(pipeline.contractViolations(record, contract: "llm.usage.v1") == []) }
    }
}
}
