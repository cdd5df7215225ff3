import Foundation
import Kafka
import Switchboard
import Testing

/// The gateway's rules end to end: versions, scopes, limits and credentials, through the dev
/// Kafka, Redis and the provider simulator.
@Suite("Gateway rules through the pipeline", .serialized, .timeLimit(.minutes(5)))
struct GatewayPipelineTests {
    func v2Record(_ pipeline: PipelineHarness, json: String, requestID: String, type: String = "llm.request.v2") -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(topic: pipeline.config.topics.requestsV2 ?? "", key: Array(requestID.utf8), value: Array(json.utf8),
                            headers: EventHeaders.make(type: type, id: requestID, source: "test",
                                                       extra: [KafkaHeader(CEHeader.authorization, "Bearer \(PipelineHarness.devKey)")]))
    }

    @Test("a v1 submitter and a v2 submitter asking the same thing get the same answer, each told its api_version")
    func v1AndV2SameAnswer() async throws {
        let pipeline = try await PipelineHarness.start(withRedis: true)
        let v1ID = "v1-\(UUID())", v2ID = "v2-\(UUID())", v3ID = "v3-\(UUID())"
        try await pipeline.producer.send(RequestEvents.make(
            ChatRequest(model: "small", messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "What is Kafka?")], maxTokens: 24),
            apiKey: PipelineHarness.devKey, topic: pipeline.config.topics.requests, requestID: v1ID))
        let v2 = #"{"model":"small","system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"What is Kafka?"}]}],"max_tokens":24}"#
        try await pipeline.producer.send(v2Record(pipeline, json: v2, requestID: v2ID))
        try await pipeline.producer.send(v2Record(pipeline, json: v2, requestID: v3ID, type: "llm.request.v3"))
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 3, settle: .milliseconds(500))
        await pipeline.stop()

        func reply(_ id: String) -> Reply? { replies.compactMap { $0.decoded(Reply.self) }.first { $0.requestID == id } }
        let a = try #require(reply(v1ID)), b = try #require(reply(v2ID))
        #expect(a.status == .ok && b.status == .ok)
        #expect(a.choices == b.choices && a.usage == b.usage && a.model == b.model)
        #expect(a.apiVersion == "v1" && b.apiVersion == "v2")
        #expect(reply(v3ID)?.error?.code == .unsupportedVersion)
        #expect(replies.allSatisfy { pipeline.contractViolations($0, contract: "llm.results.v1").isEmpty })
    }

    @Test("limits hold through the pipeline: over the per-minute limit a request is rate_limited with retry_after_ms")
    func rateLimitedThroughPipeline() async throws {
        try await MinuteWindow.awayFromBoundary()
        let pipeline = try await PipelineHarness.start(withRedis: true, tenantExtra: "limits: {requests_per_minute: 3}")
        let ids = (0..<5).map { "rl-\($0)-\(UUID())" }
        for id in ids { try await pipeline.producer.send(pipeline.request("count me", requestID: id)) }
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 5, settle: .milliseconds(500))
        await pipeline.stop()
        let mine = replies.compactMap { $0.decoded(Reply.self) }.filter { ids.contains($0.requestID) }
        #expect(mine.count == 5)
        #expect(mine.filter { $0.status == .ok }.count == 3)
        let limited = mine.filter { $0.error?.code == .rateLimited }
        #expect(limited.count == 2)
        #expect(limited.allSatisfy { ($0.error?.retryAfterMs ?? 0) > 0 })
    }

    @Test("a request whose estimated cost would pass the daily budget is budget_exceeded, with retry_after_ms until the day ends")
    func budgetThroughPipeline() async throws {
        // 0.00001 USD = 10^7 pico-USD; 32 output tokens at 0.60 USD per million already cost 1.92 * 10^7.
        let pipeline = try await PipelineHarness.start(withRedis: true, tenantExtra: #"limits: {daily_budget_usd: "0.00001"}"#)
        let id = "budget-\(UUID())"
        try await pipeline.producer.send(pipeline.request("expensive", requestID: id))
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1, settle: .milliseconds(300))
        await pipeline.stop()
        let reply = replies.compactMap { $0.decoded(Reply.self) }.first { $0.requestID == id }
        #expect(reply?.error?.code == .budgetExceeded, "\(reply?.error?.message ?? "no reply")")
        #expect((1...86_400_000).contains(reply?.error?.retryAfterMs ?? 0))
    }

    @Test("scopes: a model or collection outside the key's scope is forbidden; unknown roles and absurd max_tokens are invalid")
    func scopesAndValidation() async throws {
        let pipeline = try await PipelineHarness.start(withRedis: true, tenantExtra: "models: [sim-small]\n    collections: [docs]")
        let topic = pipeline.config.topics.requests
        func raw(_ json: String, _ id: String) -> KafkaOutgoingRecord {
            KafkaOutgoingRecord(topic: topic, key: Array(id.utf8), value: Array(json.utf8),
                                headers: EventHeaders.make(type: "llm.request.v1", id: id, source: "test",
                                                           extra: [KafkaHeader(CEHeader.authorization, "Bearer \(PipelineHarness.devKey)")]))
        }
        let cases: [(String, String, ReplyError.Code?)] = [
            ("large-model", #"{"model":"sim-large","messages":[{"role":"user","content":"x"}]}"#, .forbidden),
            ("hr", #"{"messages":[{"role":"user","content":"x"}],"retrieval":{"collection":"hr"}}"#, .forbidden),
            ("docs", #"{"messages":[{"role":"user","content":"x"}],"retrieval":{"collection":"docs"}}"#, nil),
            ("role", #"{"messages":[{"role":"wizard","content":"x"}]}"#, .invalidRequest),
            ("negative", #"{"messages":[{"role":"user","content":"x"}],"max_tokens":-5}"#, .invalidRequest),
            ("absurd", #"{"messages":[{"role":"user","content":"x"}],"max_tokens":99999999999}"#, .invalidRequest),
            ("metadata", #"{"messages":[{"role":"user","content":"x"}],"metadata":{"a":"\#(String(repeating: "y", count: 500))","b":"\#(String(repeating: "y", count: 500))","c":"\#(String(repeating: "y", count: 500))","d":"\#(String(repeating: "y", count: 500))","e":"\#(String(repeating: "y", count: 500))","f":"\#(String(repeating: "y", count: 500))","g":"\#(String(repeating: "y", count: 500))","h":"\#(String(repeating: "y", count: 500))","i":"\#(String(repeating: "y", count: 500))"}}"#, .invalidRequest),
        ]
        var ids: [String: String] = [:]
        for (name, json, _) in cases {
            let id = "\(name)-\(UUID())"
            ids[name] = id
            try await pipeline.producer.send(raw(json, id))
        }
        // The valid request has a retrieval block: the router sends it on to the retriever.
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: cases.count - 1, settle: .milliseconds(500))
        let retrieving = try await pipeline.readAll(pipeline.config.topics.retrieve, atLeast: 1, settle: .milliseconds(200))
        let stats = pipeline.simulator.stats()
        await pipeline.stop()
        let byID = Dictionary(replies.compactMap { $0.decoded(Reply.self) }.map { ($0.requestID, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, _, code) in cases {
            let reply = byID[ids[name] ?? ""]
            if let code {
                #expect(reply?.error?.code == code, "\(name): \(reply?.error?.message ?? "no reply")")
                #expect(reply?.error?.message.isEmpty == false)
            } else {
                #expect(reply == nil, "\(name): \(reply?.error?.message ?? "answered")")
                #expect(retrieving.contains { $0.header(CEHeader.id) == ids[name] }, "\(name) did not reach the retriever topic")
            }
        }
        // No rejected request reached the provider (the valid one waits for the retriever).
        #expect(stats.totalRequests == 0)
    }

    @Test("no downstream topic carries the credential: every record of every topic past the gateway is checked")
    func credentialsStayAtTheGateway() async throws {
        let pipeline = try await PipelineHarness.start(withRedis: true, tenantExtra: "limits: {requests_per_minute: 4}")
        let topics = pipeline.config.topics
        var count = 0
        for i in 0..<6 {   // ok, and rate limited past the fourth
            try await pipeline.producer.send(pipeline.request("secret-free \(i)"))
            count += 1
        }
        try await pipeline.producer.send(pipeline.request("custom", replyTo: topics.results + ".custom"))
        try await pipeline.producer.send(pipeline.request("bad reply-to", replyTo: topics.usage))
        try await pipeline.producer.send(KafkaOutgoingRecord(topic: topics.requests, key: nil, value: Array("not json".utf8), headers: [
            KafkaHeader(CEHeader.id, "garbage-\(UUID())"), KafkaHeader(CEHeader.authorization, "Bearer \(PipelineHarness.devKey)")]))
        try await pipeline.producer.send(v2Record(pipeline, json: #"{"messages":[{"role":"user","content":"v2"}]}"#, requestID: "v2-\(UUID())"))
        count += 4
        let downstream = [topics.route, topics.complete, topics.results, topics.results + ".custom", topics.usage, topics.deadLetter]
        var records: [KafkaRecord] = []
        records += try await pipeline.readAll(topics.results, atLeast: count - 1, settle: .milliseconds(500))
        for topic in downstream where topic != topics.results {
            records += try await pipeline.readAll(topic, atLeast: 1, settle: .milliseconds(200), timeout: .seconds(10))
        }
        await pipeline.stop()
        #expect(records.count >= count)
        let secret = Array(PipelineHarness.devKey.utf8)
        let forwarded = records.filter { $0.topic == topics.complete }
        #expect(!forwarded.isEmpty)
        #expect(forwarded.allSatisfy { pipeline.contractViolations($0, contract: "llm.complete.v1").isEmpty })
        let routed = records.filter { $0.topic == topics.route }
        #expect(!routed.isEmpty)
        #expect(routed.allSatisfy { pipeline.contractViolations($0, contract: "llm.route.v1").isEmpty })
        for record in records {
            #expect(!record.headers.contains { $0.name.lowercased() == CEHeader.authorization }, "\(record.topic) carries an authorization header")
            #expect(!record.headers.contains { $0.value.map { Self.contains($0, secret) } ?? false }, "\(record.topic) carries the key in a header")
            #expect(!Self.contains(record.value ?? [], secret), "\(record.topic) carries the key in its value")
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
