import Embeddings
import Foundation
import Logging
import Redis
@testable import Switchboard
import Testing

/// The cache's Redis side without Kafka: the lock between processes (two caches, two owners),
/// the semantic match with the real MiniLM embedder, and Redis being down.
@Suite("prompt cache on redis", .serialized)
struct PromptCacheRedisTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func redis(url: String = PipelineHarness.redisURL) async throws -> RedisClient {
        var configuration = try #require(RedisConfiguration(url: url))
        configuration.commandTimeout = .seconds(5) // generous: the suites run in parallel on a small machine
        return RedisClient(configuration: configuration, logger: logger)
    }

    static func settings(semantic: Bool = false) -> CacheSettings {
        var settings = CacheSettings()
        settings.keyPrefix = "test:\(UUID().uuidString.prefix(8)):cache:"
        settings.singleFlight.pollMs = 10
        settings.semantic.enabled = semantic
        settings.semantic.tenants = ["*"]
        settings.semantic.tiers = ["*"]
        return settings
    }

    static func task(_ text: String, tenant: String = "acme", indexVersion: String? = nil) throws -> CompletionTask {
        let record = CompletionTask.record(requestID: UUID().uuidString, principal: Principal(tenant: tenant, keyID: "k"),
                                           request: ChatRequest(messages: [ChatMessage(role: "user", content: text)], maxTokens: 16, temperature: 0),
                                           replyTo: "r", topic: "t")
        var task = try EventCoding.decode(CompletionTask.self, from: record.value ?? [])
        if let indexVersion {
            task.request.retrieval = RetrievalRequest(collection: "handbook")
            task.retrieval = RetrievalResult(collection: "handbook", indexVersion: indexVersion, sources: [])
        }
        return task
    }

    static func answer(_ text: String, version: String = "") -> CachedAnswer {
        CachedAnswer(content: text, finishReason: "stop", inputTokens: 10, outputTokens: 5, costPicoUSD: 1234, provider: "sim", model: "m", indexVersion: version)
    }

    @Test("across processes: the second lookup waits on the Redis lock and is served the first one's answer")
    func lockAcrossProcesses() async throws {
        let redis = try await Self.redis()
        let settings = Self.settings()
        let first = PromptCache(redis: redis, settings: settings, logger: Self.logger)
        let second = PromptCache(redis: redis, settings: settings, logger: Self.logger)
        let task = try Self.task("What is the capital of Australia?")
        let plan = try #require(first.plan(for: task, model: "m"))
        guard case .lead(let lead) = await first.lookup(plan) else { Issue.record("the first lookup must lead"); return }
        let secondPlan = try #require(second.plan(for: task, model: "m"))
        let waiting = Task { await second.lookup(secondPlan) }
        try await Task.sleep(for: .milliseconds(100))
        await first.settle(lead, answer: Self.answer("Canberra"))
        guard case .hit(let hit) = await waiting.value else { Issue.record("the second lookup must be served"); return }
        #expect(hit.answer.content == "Canberra" && hit.info.outcome == .hit && hit.info.savedCostPicoUSD == 1234)
        redis.shutdown()
    }

    @Test("a failed leader releases the lock: the next lookup leads instead of waiting")
    func failedLeaderReleases() async throws {
        let redis = try await Self.redis()
        let cache = PromptCache(redis: redis, settings: Self.settings(), logger: Self.logger)
        let plan = try #require(cache.plan(for: try Self.task("q"), model: "m"))
        guard case .lead(let lead) = await cache.lookup(plan) else { Issue.record("must lead"); return }
        await cache.settle(lead, answer: nil)
        let clock = ContinuousClock.now
        guard case .lead = await cache.lookup(plan) else { Issue.record("nothing was cached, so the next one leads"); return }
        #expect(ContinuousClock.now - clock < .seconds(5), "it did not wait out the single-flight bound")
        redis.shutdown()
    }

    @Test("semantic: a paraphrase hits within the tenant and index version; other numbers, tenants or versions do not")
    func semantic() async throws {
        let embedder = try MiniLMEmbedder()
        let redis = try await Self.redis()
        var settings = Self.settings(semantic: true)
        settings.semantic.threshold = 0.85
        let cache = PromptCache(redis: redis, settings: settings, embedder: embedder, logger: Self.logger)
        func lookup(_ task: CompletionTask) async throws -> CacheLookup { await cache.lookup(try #require(cache.plan(for: task, model: "m"))) }

        guard case .lead(let lead) = try await lookup(try Self.task("How many kilometers is 5 miles?", indexVersion: "v1")) else {
            Issue.record("an empty cache must miss"); return
        }
        await cache.settle(lead, answer: Self.answer("About 8 km.", version: "v1"))

        guard case .hit(let hit) = try await lookup(try Self.task("how many kilometers is 5 miles", indexVersion: "v1")) else {
            Issue.record("a paraphrase must hit"); return
        }
        #expect(hit.info.outcome == .semanticHit && hit.answer.content == "About 8 km." && (hit.info.similarity ?? 0) >= 0.85)
        for (text, tenant, version) in [("How many kilometers is 50 miles?", "acme", "v1"), ("how many kilometers is 5 miles", "globex", "v1"),
                                        ("how many kilometers is 5 miles", "acme", "v2")] {
            let result = try await lookup(try Self.task(text, tenant: tenant, indexVersion: version))
            guard case .lead(let miss) = result else { Issue.record("\(text) / \(tenant) / \(version) must not hit"); continue }
            await cache.settle(miss, answer: nil)
        }
        redis.shutdown()
    }

    @Test("Redis down: the lookup leads at once (bypass) and settling does not throw")
    func redisDown() async throws {
        let redis = try await Self.redis(url: "redis://127.0.0.1:1")
        let cache = PromptCache(redis: redis, settings: Self.settings(), logger: Self.logger)
        let plan = try #require(cache.plan(for: try Self.task("q"), model: "m"))
        guard case .lead(let lead) = await cache.lookup(plan) else { Issue.record("must lead"); return }
        await cache.settle(lead, answer: Self.answer("a"))
        guard case .lead = await cache.lookup(plan) else { Issue.record("nothing could be stored"); return }
        redis.shutdown()
    }
}
