import Embeddings
import Redis
import Synchronization

extension SwitchboardRuntime {
    /// The prompt cache on `redis`, with the MiniLM embedder when the semantic cache is on.
    /// The embedder loads once per process; a missing model turns the semantic cache off with
    /// a warning rather than stopping the completer (exact caching still works).
    public func makePromptCache(redis: RedisClient, embedder: (any TextEmbedder)? = nil) -> PromptCache? {
        guard config.cache.enabled else { return nil }
        var semanticEmbedder = embedder
        if semanticEmbedder == nil && config.cache.semantic.enabled {
            do {
                semanticEmbedder = try SharedEmbedder.miniLM()
            } catch {
                logger.warning("semantic cache off: the embedding model did not load", metadata: ["error": "\(error)"])
            }
        }
        // Questions looked up at the same time share forward passes instead of queueing one by one.
        let batched = semanticEmbedder.map { CoalescingEmbedder($0, batchSize: config.embeddings.batchSize) }
        return PromptCache(redis: redis, settings: config.cache, embedder: batched, logger: logger)
    }
}

/// One MiniLM model per process, however many stages ask for it.
enum SharedEmbedder {
    private static let loaded = Mutex<MiniLMEmbedder?>(nil)

    static func miniLM() throws -> MiniLMEmbedder {
        try loaded.withLock { loaded in
            if let loaded { return loaded }
            let embedder = try MiniLMEmbedder(batchSize: 32)
            loaded = embedder
            return embedder
        }
    }
}
