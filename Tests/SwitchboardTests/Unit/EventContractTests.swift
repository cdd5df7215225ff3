import Foundation
import Kafka
import Switchboard
import Testing

/// Every kind of event the code emits validates against its contract in topics/.
@Suite("Event contracts")
struct EventContractTests {
    let catalog: TopicCatalog
    let emitter = ReplyEmitter(topics: TopicNames())

    init() throws {
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        catalog = try TopicCatalog.load(directory: root + "/topics")
    }

    func violations(_ record: KafkaOutgoingRecord, _ contract: String) -> [String] {
        catalog[contract]!.violations(value: record.value, headers: record.headers)
    }

    @Test("every contract file loads, with partitions and a schema")
    func contracts() {
        for name in ["llm.requests.v1", "llm.route.v1", "llm.retrieve.v1", "llm.complete.v1", "llm.results.v1", "llm.usage.v1", "llm.dlq.v1"] {
            #expect(catalog[name] != nil, "missing contract \(name)")
            #expect((catalog[name]?.partitions ?? 0) > 0)
        }
    }

    @Test("event ids are random version-4 UUIDs in lower case, none repeated in 10,000")
    func eventIDs() {
        let ids = (0..<10_000).map { _ in EventID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let parsed = UUID(uuidString: id)
            #expect(parsed != nil && parsed?.uuidString.lowercased() == id, "\(id)")
            let characters = Array(id)
            #expect(characters.count == 36 && characters[14] == "4" && "89ab".contains(characters[19]), "\(id)")
        }
    }

    @Test("ok and error replies match llm.results.v1")
    func replies() {
        let ok = Reply(requestID: "r1", status: .ok, provider: "sim", model: "m",
                       choices: [Choice(index: 0, message: ChatMessage(role: "assistant", content: "hi"), finishReason: "stop")],
                       usage: Usage(inputTokens: 3, outputTokens: 4, costPicoUSD: 123), timings: ["gateway_ms": 0.5])
        #expect(violations(emitter.reply(ok, to: "llm.results.v1"), "llm.results.v1") == [])
        for code in [ReplyError.Code.unauthorized, .invalidRequest, .providerError, .rateLimited, .deadlineExceeded] {
            let error = Reply.failure(requestID: "r2", ReplyError(code, "because", retryAfterMs: code == .rateLimited ? 1000 : nil))
            #expect(violations(emitter.reply(error, to: "llm.results.v1"), "llm.results.v1") == [])
        }
    }

    @Test("gateway rejections produce a reply and a usage event that match their contracts")
    func rejections() {
        let records = emitter.rejection(ReplyError(.unauthorized, "no"), requestID: "r3", principal: nil,
                                        replyTo: "llm.results.v1", stage: "gateway", latencyMs: 0.2)
        #expect(records.count == 2)
        #expect(violations(records[0], "llm.results.v1") == [])
        #expect(violations(records[1], "llm.usage.v1") == [])
    }

    @Test("a request built by RequestEvents matches llm.requests.v1, and a broken one does not")
    func requests() {
        let record = RequestEvents.make(ChatRequest(model: "auto", messages: [ChatMessage(role: "user", content: "hi")], maxTokens: 10),
                                        apiKey: "k", replyTo: "llm.results.v1", deadlineMs: 1)
        #expect(violations(record, "llm.requests.v1") == [])
        var broken = record
        broken.value = Array(#"{"messages":[{"role":"user"}],"max_tokens":0}"#.utf8)
        broken.headers.removeAll { $0.name == CEHeader.authorization }
        let problems = violations(broken, "llm.requests.v1")
        #expect(problems.contains("missing header authorization"))
        #expect(problems.contains("$.max_tokens: must be >= 1"))
        #expect(problems.contains("$.messages[0].content: is required"))
    }

    @Test("an embedding call matches llm.embed.v1 and its answer llm.results.v1; vectors travel as exact float32 in base64")
    func embeddings() {
        let task = EmbeddingTask(requestID: "e1", principal: Principal(tenant: "acme", keyID: "k1"), model: "minilm",
                                 input: ["one", "two"], replyTo: "llm.results.ingress-a", deadlineMs: 2, receivedAtMs: 1)
        let record = KafkaOutgoingRecord(topic: "llm.embed.v1", key: Array("e1".utf8), value: EventCoding.encode(task),
                                         headers: EventHeaders.make(type: EmbeddingTask.eventType, id: "e1",
                                                                    extra: [KafkaHeader(CEHeader.replyTo, task.replyTo)]))
        #expect(violations(record, "llm.embed.v1") == [])
        var empty = record
        empty.value = Array(#"{"request_id":"e1","principal":{"tenant":"a","key_id":"k"},"model":"minilm","input":[],"reply_to":"t","received_at_ms":1}"#.utf8)
        #expect(violations(empty, "llm.embed.v1") == ["$.input: must have at least 1 items"])

        let vector: [Float] = [0, -0.0, 1.5e-7, -3.25, .greatestFiniteMagnitude, 0.1]
        let text = EmbeddingVector.encode(vector)
        #expect(EmbeddingVector.decode(text).map { $0.map(\.bitPattern) } == vector.map(\.bitPattern))
        #expect(EmbeddingVector.decode("not base64!") == nil)
        #expect(EmbeddingVector.decode("AAA=") == nil, "2 bytes are not a float32")
        var reply = Reply(requestID: "e1", status: .ok, provider: "local", model: "minilm",
                          usage: Usage(inputTokens: 6, outputTokens: 0, costPicoUSD: 0), timings: ["embed_ms": 1])
        reply.embeddings = [text, text]
        #expect(violations(emitter.reply(reply, to: "llm.results.v1"), "llm.results.v1") == [])
    }
}
