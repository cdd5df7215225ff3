import Embeddings
import Foundation

extension SwitchboardRuntime {
    /// The router stage: the configured rules, and the semantic routes embedded with the
    /// native MiniLM model (loaded only when routes are configured).
    public func makeRouter(embedder: (any TextEmbedder)? = nil) async throws -> RouterStage {
        RouterStage(config: config, router: try await makePromptRouter(embedder: embedder), logger: logger)
    }

    /// Where a gateway of this process sends what it admits: routed in place (`gateway.route_inline`)
    /// unless semantic routes would make it load the embedding model that this process has not
    /// loaded (`embedder` nil); those deployments keep the router as a stage of its own.
    public func gatewayRouting(embedder: (any TextEmbedder)? = nil) async throws -> GatewayRouting {
        let semantic = !(config.routing?.semantic?.routes.isEmpty ?? true)
        guard config.gateway.routeInline, !semantic || embedder != nil else {
            logger.info("gateway forwards to the router stage", metadata: ["topic": "\(config.topics.route)"])
            return .forward
        }
        return .inline(try await makePromptRouter(embedder: embedder))
    }

    /// The prompt router of the `routing` section, or nil without one.
    public func makePromptRouter(embedder given: (any TextEmbedder)? = nil) async throws -> PromptRouter? {
        guard let routing = config.routing else { return nil }
        var embedder = given
        if embedder == nil, let semantic = routing.semantic, !semantic.routes.isEmpty {
            do {
                embedder = try MiniLMEmbedder(logger: logger)
            } catch {
                throw StartupError("routing.semantic needs the embedding model: \(error)")
            }
        }
        var semantic: SemanticRoutes?
        if let config = routing.semantic, !config.routes.isEmpty, let embedder {
            // Requests routed at the same time share forward passes instead of queueing one by one.
            semantic = try await SemanticRoutes.build(config, embedder: CoalescingEmbedder(embedder, batchSize: self.config.embeddings.batchSize))
        }
        let tokenizer = (embedder as? MiniLMEmbedder)?.tokenizer ?? (try? WordPieceTokenizer(
            vocabularyURL: ModelLocation.defaultDirectory().appendingPathComponent(ModelLocation.vocabularyFile)))
        return try PromptRouter(settings: routing, catalog: ModelCatalog(models: config.models, defaultModel: config.defaultModel),
                                semantic: semantic, countTokens: PromptRouter.tokenCounter(tokenizer), logger: logger)
    }
}

extension PromptRouter {
    /// Counts tokens with the MiniLM WordPiece tokenizer when it is installed (close to what
    /// BPE tokenizers of the providers count for English), else estimates a quarter of the
    /// UTF-8 bytes, as admission does.
    public static func tokenCounter(_ tokenizer: WordPieceTokenizer?) -> @Sendable (String) -> Int {
        if let tokenizer { return { tokenizer.countTokens($0) } }
        return { ($0.utf8.count + 3) / 4 }
    }
}
