import Embeddings
import Foundation
import Logging
@testable import Switchboard

/// A deterministic stand-in embedder for precedence tests: a text's vector points along the
/// axis of the first marker word it contains ("alpha", "beta"), else along a third axis.
struct MarkerEmbedder: TextEmbedder {
    let dimension = 3
    let modelID = "test/markers"

    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            let lower = text.lowercased()
            if lower.contains("alpha") { return [1, 0, 0] }
            if lower.contains("beta") { return [0, 1, 0] }
            return [0, 0, 1]
        }
    }
}

enum RoutingFixtures {
    static let models: [ModelConfig] = [
        ModelConfig(name: "m-small", deployments: [DeploymentConfig(provider: "ext", providerModel: "s")],
                    inputPrice: Price(picoUSDPerToken: 150_000), outputPrice: Price(picoUSDPerToken: 600_000), aliases: ["small"]),
        ModelConfig(name: "m-code", deployments: [DeploymentConfig(provider: "ext", providerModel: "c")],
                    inputPrice: Price(picoUSDPerToken: 1_100_000), outputPrice: Price(picoUSDPerToken: 4_400_000)),
        ModelConfig(name: "m-large", deployments: [DeploymentConfig(provider: "ext", providerModel: "l")],
                    inputPrice: Price(picoUSDPerToken: 2_500_000), outputPrice: Price(picoUSDPerToken: 10_000_000), aliases: ["large"]),
        ModelConfig(name: "m-local", deployments: [DeploymentConfig(provider: "own", providerModel: "o", local: true)],
                    inputPrice: Price(picoUSDPerToken: 50_000), outputPrice: Price(picoUSDPerToken: 100_000)),
    ]

    static let catalog = ModelCatalog(models: models, defaultModel: "m-small")

    /// Tiers small/coding/large/local; rules: a hard keyword rule ("urgent" → large), a soft
    /// rule ("beta" → coding, which the semantic route for beta outranks), a soft keyword rule
    /// ("gamma" → large), code → coding (hard); semantic: alpha → large, beta → small.
    static func settings(rules: [RoutingRuleConfig]? = nil) -> RoutingSettings {
        RoutingSettings(
            tiers: ["small": TierConfig(model: "m-small"), "coding": TierConfig(model: "m-code"),
                    "large": TierConfig(model: "large"), "local": TierConfig(model: "m-local", local: true)],
            defaultTier: "small",
            rules: rules ?? [
                RoutingRuleConfig(name: "urgent", tier: "large", hard: true, keywords: ["urgent"]),
                RoutingRuleConfig(name: "code", tier: "coding", hard: true, code: true),
                RoutingRuleConfig(name: "beta-soft", tier: "coding", keywords: ["beta"]),
                RoutingRuleConfig(name: "gamma", tier: "large", keywords: ["gamma"]),
                RoutingRuleConfig(name: "gamma-later", tier: "coding", keywords: ["gamma"]),
            ],
            semantic: SemanticRoutingConfig(threshold: 0.9, routes: [
                SemanticRouteConfig(name: "alpha-route", tier: "large", examples: ["alpha"]),
                SemanticRouteConfig(name: "beta-route", tier: "small", examples: ["beta"]),
            ]),
            collections: ["secrets": CollectionPolicy(sensitivity: .internal), "docs": CollectionPolicy(sensitivity: .public)])
    }

    static func router(_ settings: RoutingSettings = settings(), embedder: any TextEmbedder = MarkerEmbedder()) async throws -> PromptRouter {
        var semantic: SemanticRoutes?
        if let config = settings.semantic { semantic = try await SemanticRoutes.build(config, embedder: embedder) }
        return try PromptRouter(settings: settings, catalog: catalog, semantic: semantic, countTokens: PromptRouter.tokenCounter(nil),
                                logger: Logger(label: "test"))
    }

    static func request(_ text: String, model: String? = nil, collection: String? = nil, metadata: [String: String]? = nil) -> ChatRequest {
        ChatRequest(model: model, messages: [ChatMessage(role: "user", content: text)], metadata: metadata,
                    retrieval: collection.map { RetrievalRequest(collection: $0) })
    }
}
