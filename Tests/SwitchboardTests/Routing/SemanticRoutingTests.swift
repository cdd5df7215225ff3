import Embeddings
import Foundation
import Logging
import Testing
@testable import Switchboard

/// Semantic routing with the real all-MiniLM-L6-v2 embedder and the routes shipped in
/// ops/switchboard.yaml, on prompts written for this test (none is one of the examples).
@Suite("semantic routing with MiniLM", .serialized)
struct SemanticRoutingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func shipped(threshold: Double? = nil) async throws -> (PromptRouter, SwitchboardConfig) {
        var config = try SwitchboardConfig.load(path: root + "/ops/switchboard.yaml")
        if let threshold { config.routing?.semantic?.threshold = threshold }
        let embedder = try MiniLMEmbedder(modelDirectory: ModelLocation.defaultDirectory(currentDirectory: root), batchSize: 32)
        let runtime = SwitchboardRuntime(config: config, catalog: try TopicCatalog.load(directory: root + "/topics"), logger: Logger(label: "test"))
        return (try #require(try await runtime.makePromptRouter(embedder: embedder)), config)
    }

    @Test("paraphrases reach the route of their kind; the shipped examples are not among them")
    func paraphrases() async throws {
        let (router, config) = try await Self.shipped()
        let cases: [(String, String)] = [
            ("How would you say 'see you tomorrow' in French?", "semantic:quick-answer"),
            ("What is the largest city in Brazil?", "semantic:quick-answer"),
            ("How can I squash my last three commits into one?", "semantic:programming"),
            ("What's the best way to structure an Express.js middleware that checks auth tokens?", "semantic:programming"),
            ("Discuss how the industrial revolution reshaped family life and labour, with the main scholarly debates.", "semantic:deep-work"),
            ("Prepare an in-depth strategic assessment of entering the Indian insurance market, including regulation and competition.", "semantic:deep-work"),
        ]
        let examples = Set(config.routing?.semantic?.routes.flatMap(\.examples) ?? [])
        for (prompt, expected) in cases {
            #expect(!examples.contains(prompt))
            let decision = try await router.decide(RoutingFixtures.request(prompt), tenant: "t", allowedModels: nil).get()
            #expect(decision.reason == expected, "\(prompt) → \(decision.reason)")
        }
    }

    @Test("a prompt near no route falls back to the rules and then the default tier")
    func belowThreshold() async throws {
        let (router, _) = try await Self.shipped()
        let semantic = try #require(router.semantic)
        let text = "zxq vvk 77 plorf"
        let match = try #require(try await semantic.nearest(text))
        #expect(match.score < semantic.threshold)
        #expect(try await router.decide(RoutingFixtures.request(text), tenant: "t", allowedModels: nil).get().reason == "default")
        // A programming prompt goes to its semantic route; with the threshold out of reach, the
        // soft keyword rule catches it instead.
        let prompt = RoutingFixtures.request("Which kubernetes probe restarts a stuck container?")
        #expect(try await router.decide(prompt, tenant: "t", allowedModels: nil).get().reason == "semantic:programming")
        let (strict, _) = try await Self.shipped(threshold: 0.99)
        #expect(try await strict.decide(prompt, tenant: "t", allowedModels: nil).get().reason == "rule:programming-terms")
    }

    @Test("the shipped labelled set: at least 90% routed to the labelled tier")
    func shippedSet() async throws {
        let (router, config) = try await Self.shipped()
        let set = try RoutingEvaluation.load(path: Self.root + "/ops/eval/routing-set.jsonl")
        #expect(set.count >= 200)
        let examples = Set(config.routing?.semantic?.routes.flatMap(\.examples) ?? [])
        #expect(set.allSatisfy { !examples.contains($0.prompt) })
        let result = await RoutingEvaluation.run(set, router: router, catalog: ModelCatalog(models: config.models, defaultModel: config.defaultModel),
                                                 outputTokens: 300)
        #expect(result.accuracy >= 0.9, "\(result.formatted())")
        #expect(result.routedCostPicoUSD < result.largestCostPicoUSD)
    }
}
