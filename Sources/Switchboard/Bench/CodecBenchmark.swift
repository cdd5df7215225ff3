import Foundation
import JSONCoding

/// `switchboard bench codec`: the JSON work one request costs, operation by operation, on
/// events shaped like the pipeline's own (a request, the completer's task, its reply and usage
/// event). Single-threaded, no services: what each stage pays per record before Kafka and the
/// network, and what the streaming encoder saves against Foundation's `JSONEncoder`.
public struct CodecBenchmark: Sendable {
    public var iterations: Int

    public init(iterations: Int) {
        self.iterations = iterations
    }

    static func sampleRequest() -> ChatRequest {
        ChatRequest(model: "auto", messages: [
            ChatMessage(role: "system", content: "You are a helpful assistant. Answer briefly."),
            ChatMessage(role: "user", content: "What is the capital of Australia, and why is it not Sydney?"),
        ], maxTokens: 256, temperature: 0, metadata: ["team": "search", "trace": "abc123"])
    }

    static func sampleTask() -> CompletionTask {
        var task = CompletionTask(requestID: "req-7f3c9a2e-51b4-4d8e-9c0f-2a6b8d1e4f70", principal: Principal(tenant: "acme", keyID: "k-prod-1"),
                                  apiVersion: "v1", replyTo: "llm.results.v1", deadlineMs: 1_767_225_600_000,
                                  receivedAtMs: 1_767_225_590_000, request: sampleRequest(),
                                  timings: ["gateway_queue_ms": 2, "gateway_ms": 0.31, "router_ms": 0.02])
        task.route = RouteDecision(tier: "small", model: "gpt-4o-mini", reason: "rule:short-prompt")
        return task
    }

    static func sampleReply() -> Reply {
        var reply = Reply(requestID: "req-7f3c9a2e-51b4-4d8e-9c0f-2a6b8d1e4f70", status: .ok, provider: "openai", model: "gpt-4o-mini",
                          choices: [Choice(index: 0, message: ChatMessage(role: "assistant", content: "Canberra. It was chosen as a compromise between Sydney and Melbourne."),
                                           finishReason: "stop")],
                          usage: Usage(inputTokens: 31, outputTokens: 17, costPicoUSD: 14_850_000),
                          timings: ["gateway_queue_ms": 2, "gateway_ms": 0.31, "router_ms": 0.02, "completer_queue_ms": 1,
                                    "provider_ms": 812.4, "completer_ms": 813.1])
        reply.route = RouteDecision(tier: "small", model: "gpt-4o-mini", reason: "rule:short-prompt")
        reply.cache = CacheInfo(outcome: .miss)
        return reply
    }

    /// Microseconds per call of `body`, best of three rounds.
    func measure(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            for _ in 0..<iterations { try body() }
            best = min(best, elapsedMs(since: start) * 1000 / Double(iterations))
        }
        return best
    }

    public func run(catalog: TopicCatalog) throws {
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let decoder = JSONDecoder()
        let request = Self.sampleRequest(), task = Self.sampleTask(), reply = Self.sampleReply()
        let requestBytes = EventCoding.encode(request), taskBytes = EventCoding.encode(task), replyBytes = EventCoding.encode(reply)
        let schema = catalog["llm.requests.v1"]?.schema
        var rows: [(String, Double)] = []
        rows.append(("request: JSONValue.parse", try measure { _ = try JSONValue.parse(requestBytes) }))
        rows.append(("request: JSONValue via JSONSerialization", try measure { _ = try JSONValue.parseWithFoundation(requestBytes) }))
        if let schema {
            let parsed = try JSONValue.parse(requestBytes)
            rows.append(("request: schema check of the parsed value", measure { _ = schema.validate(parsed) }))
        }
        rows.append(("request: JSONDecoder → ChatRequest", try measure { _ = try decoder.decode(ChatRequest.self, from: Data(requestBytes)) }))
        rows.append(("request: JSONBytesDecoder → ChatRequest", try measure { _ = try JSONBytesDecoder.decode(ChatRequest.self, from: requestBytes) }))
        rows.append(("task: JSONDecoder → CompletionTask", try measure { _ = try decoder.decode(CompletionTask.self, from: Data(taskBytes)) }))
        rows.append(("task: JSONBytesDecoder → CompletionTask", try measure { _ = try JSONBytesDecoder.decode(CompletionTask.self, from: taskBytes) }))
        rows.append(("task: streaming encoder", try measure { _ = try StreamingJSONEncoder.encode(task) }))
        rows.append(("task: JSONEncoder (sorted keys)", try measure { _ = try foundation.encode(task) }))
        rows.append(("reply: JSONDecoder → Reply", try measure { _ = try decoder.decode(Reply.self, from: Data(replyBytes)) }))
        rows.append(("reply: JSONBytesDecoder → Reply", try measure { _ = try JSONBytesDecoder.decode(Reply.self, from: replyBytes) }))
        rows.append(("reply: streaming encoder", try measure { _ = try StreamingJSONEncoder.encode(reply) }))
        rows.append(("reply: JSONEncoder (sorted keys)", try measure { _ = try foundation.encode(reply) }))
        let now = Date()
        rows.append(("ce_time: Timestamp.iso8601", measure { _ = Timestamp.iso8601(now) }))
        rows.append(("ce_time: Foundation ISO 8601 format style", measure {
            _ = now.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
        }))
        print("bench codec: \(iterations) calls per operation, best of 3 rounds, one thread; sizes: request \(requestBytes.count) B, task \(taskBytes.count) B, reply \(replyBytes.count) B")
        for (name, micros) in rows {
            print("  " + name.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%8.2f µs", micros))
        }
    }
}
