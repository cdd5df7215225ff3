import Foundation
import Logging
import Redis
@testable import Switchboard
import Testing

@Suite("cache key, plan and guards")
struct CacheKeyAndGuardTests {
    static func task(_ request: ChatRequest, tenant: String = "acme", indexVersion: String? = nil) throws -> CompletionTask {
        let record = CompletionTask.record(requestID: UUID().uuidString, principal: Principal(tenant: tenant, keyID: "k"), request: request,
                                           replyTo: "r", topic: "t")
        var task = try EventCoding.decode(CompletionTask.self, from: record.value ?? [])
        task.retrieval = indexVersion.map { RetrievalResult(collection: "c", indexVersion: $0, sources: []) }
        return task
    }

    static func request(_ text: String, temperature: Double? = 0) -> ChatRequest {
        ChatRequest(messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: text)],
                    maxTokens: 32, temperature: temperature)
    }

    @Test("the key changes with tenant, model, every output parameter and the index version, not with stream")
    func keyInputs() throws {
        let base = CacheKey(task: try Self.task(Self.request("q")), model: "m")
        #expect(CacheKey(task: try Self.task(Self.request("q")), model: "m") == base)
        var streamed = Self.request("q")
        streamed.stream = true
        #expect(CacheKey(task: try Self.task(streamed), model: "m").exact == base.exact)
        var variants: [ChatRequest] = []
        for change in 0..<5 {
            var r = Self.request("q")
            switch change {
            case 0: r.temperature = 0.5
            case 1: r.maxTokens = 64
            case 2: r.topP = 0.9
            case 3: r.stop = StopSequences(["\n"])
            default: r.messages[0].content = "Be verbose."
            }
            variants.append(r)
        }
        var keys = Set(try variants.map { CacheKey(task: try Self.task($0), model: "m").exact })
        keys.insert(CacheKey(task: try Self.task(Self.request("q"), tenant: "globex"), model: "m").exact)
        keys.insert(CacheKey(task: try Self.task(Self.request("q")), model: "other").exact)
        keys.insert(CacheKey(task: try Self.task(Self.request("q"), indexVersion: "v2"), model: "m").exact)
        keys.insert(base.exact)
        #expect(keys.count == 9)
        // The bucket ignores only the question.
        let other = CacheKey(task: try Self.task(Self.request("another question")), model: "m")
        #expect(other.bucket == base.bucket && other.exact != base.exact)
        #expect(CacheKey(task: try Self.task(Self.request("q"), indexVersion: "v2"), model: "m").bucket != base.bucket)
    }

    @Test("deterministic requests are cached by default, sampled ones only when opted in, none with mode off")
    func plans() throws {
        let cache = PromptCache(redis: RedisClient(configuration: try #require(RedisConfiguration(url: "redis://127.0.0.1:1"))),
                                settings: CacheSettings(), logger: Logger(label: "test"))
        func planned(_ temperature: Double?, _ mode: CacheDirective.Mode?) throws -> Bool {
            var request = Self.request("q", temperature: temperature)
            request.cache = mode.map { CacheDirective(mode: $0) }
            return cache.plan(for: try Self.task(request), model: "m") != nil
        }
        #expect(try planned(0, nil) && planned(0, .default) && planned(0.7, .on) && planned(nil, .on))
        #expect(try !planned(0.7, nil) && !planned(nil, nil) && !planned(0, .off) && !planned(0.7, .off))
    }

    @Test("stop decodes from a string or an array, and the cache block from the request")
    func wire() throws {
        let one = try EventCoding.decode(ChatRequest.self, from: Array(#"{"messages":[{"role":"user","content":"x"}],"stop":"END","top_p":0.5,"cache":{"mode":"on","ttl_s":60}}"#.utf8))
        #expect(one.stop?.values == ["END"] && one.topP == 0.5 && one.cache == CacheDirective(mode: .on, ttlS: 60))
        let many = try EventCoding.decode(ChatRequest.self, from: Array(#"{"messages":[{"role":"user","content":"x"}],"stop":["a","b"]}"#.utf8))
        #expect(many.stop?.values == ["a", "b"])
    }

    @Test("guards block different numbers, negations and named entities, and let paraphrases through")
    func guards() {
        #expect(PromptGuard.block("Convert 5 miles to km", "Convert 50 miles to km") == .numbers)
        #expect(PromptGuard.block("Give me three tips", "Give me 3 tips") == nil)
        #expect(PromptGuard.block("Give me 3 tips", "Give me 10 tips") == .numbers)
        #expect(PromptGuard.block("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?") == .negation)
        #expect(PromptGuard.block("Which foods contain gluten?", "Which foods don't contain gluten?") == .negation)
        #expect(PromptGuard.block("How do I install Redis on Ubuntu?", "How do I install Redis on CentOS?") == .entities)
        #expect(PromptGuard.block("What is the capital of Austria?", "What is the capital of Australia?") == .entities)
        #expect(PromptGuard.block("When did World War II end?", "When did World War I end?") != nil)
        #expect(PromptGuard.block("How do I reverse a list in Python?", "python: how can I reverse a list") == nil)
        #expect(PromptGuard.block("Explain the difference between TCP and UDP.", "How do TCP and UDP differ?") == nil)
    }

    @Test("a cached answer streams as pieces that join to exactly the answer")
    func streamPieces() {
        let text = "A REST API exposes resources over HTTP with standard verbs, stateless requests and cacheable responses."
        let pieces = CompleterStage.streamPieces(text)
        #expect(pieces.count > 1 && pieces.joined() == text)
        #expect(CompleterStage.streamPieces("") == [""])
    }

    @Test("a prompt's canonical form: the fast path for plain ASCII ends gives what Foundation's trimming gives")
    func canonicalText() {
        let pieces = ["", " ", "\t", "\n", "\r\n", "\r", "a", "Z", "~", "\u{7F}", "é", "\u{00A0}", "\u{2028}", "漢", "🙂", "\u{0085}", "x y"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            #expect(CacheKey.canonical(text) == CacheKey.canonicalThroughFoundation(text), "\(text.debugDescription)")
        }
        #expect(CacheKey.canonical("  What is Kafka?\r\n") == "What is Kafka?")
        #expect(CacheKey.canonical("a\r\nb") == "a\nb")
    }
}
