import Foundation
import HTTPClient
import ProviderSimulator
import Testing

@Suite("Provider simulator: APIs")
struct ProviderSimulatorAPITests {
    private static let anthropicHeaders: HTTPHeaders = ["x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"]

    private func messagesBody(_ text: String, stream: Bool = false, maxTokens: Int = 1024) -> [String: Any] {
        ["model": "claude-sonnet-4-5", "max_tokens": maxTokens, "stream": stream, "system": "Be brief.",
         "messages": [["role": "user", "content": [["type": "text", "text": text]]]]]
    }

    @Test("Anthropic messages answer in the Messages API shape")
    func anthropicMessage() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.execute(try jsonRequest(
                "\(baseURL)/v1/messages", messagesBody("Hello Claude"), headers: Self.anthropicHeaders))
            #expect(response.status == 200)
            let body = try jsonObject(response.body)
            #expect(body["type"] as? String == "message")
            #expect(body["role"] as? String == "assistant")
            #expect(body["stop_reason"] as? String == "end_turn")
            let content = try #require(body["content"] as? [[String: Any]])
            #expect(content.first?["type"] as? String == "text")
            #expect((content.first?["text"] as? String)?.hasPrefix("Simulated answer to: Hello Claude") == true)
            let usage = try #require(body["usage"] as? [String: Any])
            #expect((usage["input_tokens"] as? Int ?? 0) > 0)
            #expect((usage["output_tokens"] as? Int ?? 0) > 0)
            #expect(usage["cache_read_input_tokens"] as? Int == 0)
        }
    }

    @Test("an Anthropic stream follows the documented event sequence")
    func anthropicStream() async throws {
        try await withSimulator { _, client, baseURL in
            let url = "\(baseURL)/v1/messages"
            let buffered = try jsonObject(try await client.execute(
                try jsonRequest(url, messagesBody("Tell me"), headers: Self.anthropicHeaders)).body)
            let expected = ((buffered["content"] as? [[String: Any]])?.first?["text"] as? String) ?? "-"

            let response = try await client.stream(try jsonRequest(url, messagesBody("Tell me", stream: true), headers: Self.anthropicHeaders))
            #expect(response.status == 200)
            let events = parseEvents(try await response.body.collect(upTo: 1 << 20))
            let names = events.map { $0.event ?? "?" }
            let deltas = names.filter { $0 == "content_block_delta" }.count
            #expect(deltas > 1)
            #expect(names == ["message_start", "content_block_start", "ping"]
                + Array(repeating: "content_block_delta", count: deltas)
                + ["content_block_stop", "message_delta", "message_stop"])
            let payloads = try events.map { try jsonObject(Array($0.data.utf8)) }
            #expect(zip(names, payloads).allSatisfy { $0 == $1["type"] as? String })
            let text = payloads.compactMap { ($0["delta"] as? [String: Any])?["text"] as? String }.joined()
            #expect(text == expected)
            let messageDelta = try #require(payloads.first { $0["type"] as? String == "message_delta" })
            #expect((messageDelta["usage"] as? [String: Any])?["output_tokens"] as? Int == deltas)
            #expect((messageDelta["delta"] as? [String: Any])?["stop_reason"] as? String == "end_turn")
        }
    }

    @Test("max_tokens caps the answer and sets the length stop reason")
    func maxTokens() async throws {
        try await withSimulator { _, client, baseURL in
            let openAI = try jsonObject(try await client.execute(
                try jsonRequest("\(baseURL)/v1/chat/completions", chatBody("Long please", maxTokens: 3))).body)
            #expect((openAI["usage"] as? [String: Any])?["completion_tokens"] as? Int == 3)
            #expect((openAI["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")

            let anthropic = try jsonObject(try await client.execute(try jsonRequest(
                "\(baseURL)/v1/messages", messagesBody("Long please", maxTokens: 2), headers: Self.anthropicHeaders)).body)
            #expect((anthropic["usage"] as? [String: Any])?["output_tokens"] as? Int == 2)
            #expect(anthropic["stop_reason"] as? String == "max_tokens")
        }
    }

    @Test("a repeated long prompt prefix is reported as cached")
    func promptCaching() async throws {
        try await withSimulator { _, client, baseURL in
            let system = String(repeating: "policy text ", count: 500)
            func body(_ question: String) -> [String: Any] {
                ["model": "gpt-4o", "messages": [["role": "system", "content": system], ["role": "user", "content": question]]]
            }
            func cached(_ object: [String: Any]) -> Int? {
                ((object["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int
            }
            let url = "\(baseURL)/v1/chat/completions"
            let first = try jsonObject(try await client.execute(try jsonRequest(url, body("one"))).body)
            let second = try jsonObject(try await client.execute(try jsonRequest(url, body("two"))).body)
            #expect(cached(first) == 0)
            let hit = try #require(cached(second))
            #expect(hit >= 1024 && hit % 128 == 0)
        }
    }

    @Test("embeddings are deterministic unit vectors, as floats or base64")
    func embeddings() async throws {
        try await withSimulator(SimulatorConfiguration(embeddingDimension: 64)) { _, client, baseURL in
            let url = "\(baseURL)/v1/embeddings"
            func vectors(_ input: Any, format: String = "float") async throws -> [[Double]] {
                let body = try jsonObject(try await client.execute(
                    try jsonRequest(url, ["model": "text-embedding-3-small", "input": input, "encoding_format": format])).body)
                #expect(((body["usage"] as? [String: Any])?["prompt_tokens"] as? Int ?? 0) > 0)
                return try (body["data"] as? [[String: Any]] ?? []).map { item in
                    if let floats = item["embedding"] as? [Double] { return floats }
                    let data = try #require(Data(base64Encoded: item["embedding"] as? String ?? ""))
                    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)).map(Double.init) }
                }
            }
            let pair = try await vectors(["alpha", "beta"])
            #expect(pair.count == 2)
            #expect(pair.allSatisfy { $0.count == 64 })
            for vector in pair {
                #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
            }
            #expect(pair[0] != pair[1])
            let again = try await vectors("alpha")
            #expect(zip(again[0], pair[0]).allSatisfy { abs($0 - $1) < 1e-6 })
            let base64 = try await vectors("alpha", format: "base64")
            #expect(zip(base64[0], pair[0]).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test("models are listed, and a bad body gets a 400 in the provider's error shape")
    func modelsAndBadRequests() async throws {
        try await withSimulator { _, client, baseURL in
            let models = try jsonObject(try await client.execute(HTTPRequest(url: "\(baseURL)/v1/models")).body)
            let ids = (models["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == SimulatorConfiguration.defaultModels)

            let badOpenAI = try await client.execute(HTTPRequest(
                method: "POST", url: "\(baseURL)/v1/chat/completions", body: Array("{not json".utf8)))
            #expect(badOpenAI.status == 400)
            #expect((try jsonObject(badOpenAI.body)["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")

            let badAnthropic = try await client.execute(HTTPRequest(
                method: "POST", url: "\(baseURL)/v1/messages", headers: Self.anthropicHeaders, body: Array("[]".utf8)))
            #expect(badAnthropic.status == 400)
            let body = try jsonObject(badAnthropic.body)
            #expect(body["type"] as? String == "error")
            #expect((body["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")

            let badFault = try await client.execute(try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "explode"]))
            #expect(badFault.status == 400)
        }
    }

    @Test("a malformed-body fault answers 200 with invalid JSON")
    func malformed() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.execute(try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "malformed"]))
            #expect(response.status == 200)
            #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(response.body)) }
        }
    }
}
