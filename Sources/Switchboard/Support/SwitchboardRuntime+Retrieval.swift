import Embeddings
import Foundation
import Logging
import VectorStores

extension SwitchboardRuntime {
    /// The configured embedding model, loaded once per process (the embedder and the retriever share it).
    public func makeEmbedder() throws -> MiniLMEmbedder {
        guard config.embeddings.model == "minilm" else {
            throw StartupError("embeddings.model '\(config.embeddings.model)' is not available (built in: minilm)")
        }
        do {
            // Chunks longer than the model's usual 256 tokens are embedded whole (BERT has 512 positions).
            return try MiniLMEmbedder(modelDirectory: config.embeddings.modelDir.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                      batchSize: config.embeddings.batchSize,
                                      maxLength: max(WordPieceTokenizer.defaultMaxLength, config.embeddings.chunker.maxTokens), logger: logger)
        } catch {
            throw StartupError("the embedding model did not load: \(error)")
        }
    }

    /// The stage that answers embedding calls (`POST /v1/embeddings`) with `embedder`; calls
    /// arriving while a pass runs share the next one.
    public func makeEmbeddingsStage(_ embedder: MiniLMEmbedder) -> EmbeddingsStage {
        let tokenizer = embedder.tokenizer
        return EmbeddingsStage(topics: config.topics, modelName: config.embeddings.model,
                               // A call runs at once when the model is idle; calls arriving while it runs share the next pass.
                               embedder: CoalescingEmbedder(embedder, batchSize: config.embeddings.batchSize),
                               maxTokens: embedder.maxLength, countTokens: { tokenizer.countTokens($0) }, logger: logger)
    }

    /// The configured vector store.
    public func makeVectorStore() async throws -> any VectorStore {
        let settings = config.vectorStore
        switch settings.kind {
        case .embedded:
            var configuration = EmbeddedVectorStore.Configuration(directory: settings.path)
            configuration.efSearch = settings.efSearch
            do {
                return try await EmbeddedVectorStore.open(configuration)
            } catch {
                throw StartupError("the embedded vector store at \(settings.path) did not open: \(error)")
            }
        case .pgvector:
            let url = config.expandedKafkaProperties(["url": settings.postgresURL])["url"] ?? ""
            guard !url.isEmpty else {
                throw StartupError("vector_store.postgres_url is empty: set it or SWITCHBOARD_PG_URL (ops/dev-up prints the dev URL)")
            }
            do {
                return try await PostgresVectorStore.open(PostgresVectorStoreConfiguration(url: url, efSearch: settings.efSearch))
            } catch {
                throw StartupError("vector_store.kind pgvector did not open: \(error)")
            }
        }
    }

    /// The indexing side of the embedding service over `store`.
    public func makeIndexer(store: any VectorStore, embedder: MiniLMEmbedder) -> (CollectionDirectory, DocumentIndexer) {
        let coalescing = CoalescingEmbedder(embedder, batchSize: config.embeddings.batchSize,
                                            maxWait: .milliseconds(config.embeddings.batchWaitMs))
        let tokenizer = embedder.tokenizer
        let directory = CollectionDirectory(store: store, settings: config.embeddings, dimension: embedder.dimension)
        let indexer = DocumentIndexer(store: store, embedder: coalescing, countTokens: { tokenizer.countTokens($0) })
        return (directory, indexer)
    }
}
