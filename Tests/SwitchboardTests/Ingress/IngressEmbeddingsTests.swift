import Foundation
import HTTPClient
import Switchboard
import Testing
import VectorStores

/// `POST /v1/embeddings` through the ingress and the embedding service, on the dev Kafka and Redis.
@Suite("HTTP ingress: embeddings", .serialized, .timeLimit(.minutes(5)))
struct IngressEmbeddingsTests {
    static func json(_ response: HTTPResponse) -> JSONValue? { try? JSONValue.parse(response.body) }

    static func start(tenantExtra: String = "") async throws -> IngressHarness {
        try await IngressHarness.start(tenantExtra: tenantExtra, roles: [.gateway, .embedder], vectorStore: ExactVectorStore())
    }

    @Test("one vector per input, the model's own, as numbers or base64; usage counts the model's tokens; no credential on llm.embed.v1; the slot is settled")
    func embeds() async throws {
        let ingress = try await Self.start(tenantExtra: "limits: {max_concurrent: 1}")
        let texts = ["The quick brown fox jumps over the lazy dog.", "How do I read a file line by line in Python?"]
        let model = try SharedEmbedder.get()
        let expected = try await model.embed(texts)
        let tokens = texts.map { model.tokenizer.countTokens($0) }.reduce(0, +)

        let body = try JSONSerialization.data(withJSONObject: ["model": "minilm", "input": texts])
        let plain = try await ingress.post("/v1/embeddings", body: Array(body))
        // `max_concurrent: 1`: the second call is admitted only once settlement freed the first one's slot.
        var based: HTTPResponse?
        for _ in 0..<50 {
            based = try await ingress.post("/v1/embeddings", body: Array(#"{"model":"sentence-transformers/all-MiniLM-L6-v2","input":"\#(texts[0])","encoding_format":"base64"}"#.utf8))
            if based?.status != 429 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let models = try await ingress.get("/v1/models")
        let topics = ingress.pipeline.config.topics
        let calls = try await ingress.pipeline.readAll(topics.embed, atLeast: 2, settle: .milliseconds(300), timeout: .seconds(10))
        let usage = try await ingress.pipeline.readAll(topics.usage, atLeast: 2, settle: .milliseconds(300), timeout: .seconds(10))
        await ingress.stop()

        #expect(plain.status == 200, "\(plain.bodyText)")
        let answer = Self.json(plain)
        #expect(answer?["object"]?.stringValue == "list")
        #expect(answer?["model"]?.stringValue == "minilm")
        #expect(answer?["usage"]?["prompt_tokens"]?.intValue == tokens)
        #expect(answer?["usage"]?["total_tokens"]?.intValue == tokens)
        #expect(plain.headers.first("x-request-id")?.hasPrefix("http-") == true)
        let data = answer?["data"]?.arrayValue ?? []
        #expect(data.count == 2)
        for (index, item) in data.enumerated() {
            #expect(item["object"]?.stringValue == "embedding")
            #expect(item["index"]?.intValue == index)
            let vector = (item["embedding"]?.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) }
            #expect(vector.count == 384)
            #expect(zip(vector, expected[index]).allSatisfy { abs($0 - $1) <= 1e-6 }, "vector \(index) differs from the model's")
        }

        #expect(based?.status == 200, "\(based?.bodyText ?? "")")
        let encoded = Self.json(based!)?["data"]?.arrayValue?.first?["embedding"]?.stringValue
        // Alone, as the service embedded it (a text's last bits may differ with what it is batched with).
        let alone = try await model.embed([texts[0]])[0]
        #expect(encoded.flatMap(EmbeddingVector.decode) == alone, "base64 carries the model's float32 values exactly")

        #expect(Self.json(models)?["data"]?.arrayValue?.contains { $0["id"]?.stringValue == "minilm" } == true, "\(models.bodyText)")

        #expect(calls.count == 2)
        for record in calls {
            #expect(ingress.pipeline.contractViolations(record, contract: "llm.embed.v1").isEmpty)
            #expect(!record.headers.contains { $0.name.lowercased() == CEHeader.authorization })
            #expect(!String(decoding: record.value ?? [], as: UTF8.self).contains(PipelineHarness.devKey))
        }
        let events = usage.compactMap { $0.value.flatMap { try? JSONValue.parse($0) } }
        #expect(events.filter { $0["stage"]?.stringValue == "embeddings" && $0["status"]?.stringValue == "ok" }.count == 2, "\(events)")
    }

    @Test("bad embedding calls get their status and code; an input past the model's 512 tokens is refused by the service; over the limit is 429")
    func badCalls() async throws {
        try await MinuteWindow.awayFromBoundary()
        let ingress = try await Self.start(tenantExtra: "limits: {requests_per_minute: 3}")
        let long = Array(repeating: "word", count: 600).joined(separator: " ")
        let cases: [(String, String, String?, Int, String)] = [
            ("no key", #"{"model":"minilm","input":"hi"}"#, nil, 401, "unauthorized"),
            ("bad key", #"{"model":"minilm","input":"hi"}"#, "Bearer sk-sb-nope", 401, "unauthorized"),
            ("not JSON", "{", "", 400, "invalid_request"),
            ("no model", #"{"input":"hi"}"#, "", 400, "invalid_request"),
            ("a chat model", #"{"model":"small","input":"hi"}"#, "", 400, "unknown_model"),
            ("no input", #"{"model":"minilm"}"#, "", 400, "invalid_request"),
            ("token ids", #"{"model":"minilm","input":[101,2023]}"#, "", 400, "invalid_request"),
            ("an empty text", #"{"model":"minilm","input":["a",""]}"#, "", 400, "invalid_request"),
            ("257 inputs", #"{"model":"minilm","input":[\#(Array(repeating: "\"a\"", count: 257).joined(separator: ","))]}"#, "", 400, "invalid_request"),
            ("other dimensions", #"{"model":"minilm","input":"hi","dimensions":128}"#, "", 400, "invalid_request"),
            ("a bad format", #"{"model":"minilm","input":"hi","encoding_format":"int8"}"#, "", 400, "invalid_request"),
            ("too long for the model", #"{"model":"minilm","input":"\#(long)"}"#, "", 400, "invalid_request"),
        ]
        for (name, body, authorization, status, code) in cases {
            let response = try await ingress.post("/v1/embeddings", body: Array(body.utf8),
                                                  authorization: authorization == "" ? "Bearer \(PipelineHarness.devKey)" : authorization)
            #expect(response.status == status, "\(name): \(response.bodyText)")
            #expect(Self.json(response)?["error"]?["code"]?.stringValue == code, "\(name): \(response.bodyText)")
            let message = Self.json(response)?["error"]?["message"]?.stringValue ?? ""
            #expect(!message.isEmpty, "\(name)")
        }
        // Only the call that was admitted (the one too long for the model) counted: 2 of 3 are left.
        var responses: [HTTPResponse] = []
        for _ in 0..<4 {
            responses.append(try await ingress.post("/v1/embeddings", body: Array(#"{"model":"minilm","input":"hi"}"#.utf8)))
        }
        await ingress.stop()
        #expect(responses.map(\.status) == [200, 200, 429, 429], "\(responses.map(\.bodyText))")
        #expect(Self.json(responses[2])?["error"]?["code"]?.stringValue == "rate_limited")
        #expect(responses[2].headers.first("retry-after") != nil)
    }

    @Test("a key whose scope lists only chat models is forbidden the embedding model, and /v1/models leaves it out")
    func scope() async throws {
        let ingress = try await Self.start(tenantExtra: "models: [sim-small]")
        let call = try await ingress.post("/v1/embeddings", body: Array(#"{"model":"minilm","input":"hi"}"#.utf8))
        let models = try await ingress.get("/v1/models")
        await ingress.stop()
        #expect(call.status == 403, "\(call.bodyText)")
        #expect(Self.json(call)?["error"]?["code"]?.stringValue == "forbidden")
        let ids = Self.json(models)?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(ids.contains("sim-small") && !ids.contains("minilm"), "\(ids)")
    }

    @Test("2,000 mutated embedding calls: each gets one answer, 200 or a 4xx with a code, and the ingress stays healthy")
    func mutated() async throws {
        let ingress = try await Self.start()
        let valid = Array(#"{"model":"minilm","input":["first text","second text"],"encoding_format":"float"}"#.utf8)
        let replacements: [[UInt8]] = ["null", "[]", "{}", "-1", "1e999", "\"\\ud800\"", "[1,2]", "true", "\"\"", "[[\"x\"]]"].map { Array($0.utf8) }
        var state: UInt64 = 0x5eed
        func random(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let bodies: [[UInt8]] = (0..<2000).map { _ in
            var body = valid
            switch random(4) {
            case 0: body.removeLast(random(body.count))                                   // truncated
            case 1: body[random(body.count)] = UInt8(random(256))                         // a byte changed (invalid UTF-8 too)
            case 2:                                                                        // a value replaced
                let at = random(body.count)
                body.replaceSubrange(at..<min(body.count, at + random(12)), with: replacements[random(replacements.count)])
            default: body.insert(contentsOf: replacements[random(replacements.count)], at: random(body.count))
            }
            return body
        }
        let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            var results: [(Int, String?)] = []
            var next = 0
            func add() {
                let body = bodies[next]
                next += 1
                group.addTask {
                    let response = try await ingress.post("/v1/embeddings", body: body)
                    return (response.status, Self.json(response)?["error"]?["code"]?.stringValue)
                }
            }
            for _ in 0..<32 { add() }
            while let result = try await group.next() {
                results.append(result)
                if next < bodies.count { add() }
            }
            return results
        }
        let health = try await ingress.get("/healthz")
        let good = try await ingress.post("/v1/embeddings", body: valid)
        // The most inputs a call takes: 256 vectors in one reply.
        let inputs = (0..<256).map { "text number \($0)" }
        let full = try await ingress.post("/v1/embeddings", body: Array(try JSONSerialization.data(withJSONObject: ["model": "minilm", "input": inputs])))
        await ingress.stop()
        #expect(full.status == 200, "\(full.bodyText.prefix(300))")
        #expect(Self.json(full)?["data"]?.arrayValue?.count == 256)
        #expect(answers.count == bodies.count)
        let wrong = answers.filter { !($0.0 == 200 || ((400...499).contains($0.0) && $0.1 != nil)) }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        #expect(answers.contains { $0.0 == 400 })
        #expect(health.status == 200)
        #expect(good.status == 200)
    }
}
