import Foundation

/// The embedding service: which model, how texts are batched, how documents are chunked.
/// The model and the chunker settings together name an index version (`IndexVersion`).
public struct EmbeddingSettings: Sendable, Decodable {
    /// `minilm` (the native all-MiniLM-L6-v2) is the only built-in model.
    public var model = "minilm"
    /// The model directory; nil: `$SWITCHBOARD_MODEL_DIR`, else `.deps/minilm/...` (ops/install-model).
    public var modelDir: String?
    /// Texts per forward pass; chunks of several documents are batched together.
    public var batchSize = 32
    /// How long a partial batch of document chunks waits for more while the model is idle
    /// (chunks that arrive while a batch runs go in the next one anyway). Queries and
    /// embedding calls never wait: they start at once on an idle model.
    public var batchWaitMs = 5
    /// Whole passages up to 512 tokens in one chunk (BERT's 512 positions): on the labelled
    /// python-docs-faq set this scores higher than 256-token pieces (README › Retrieval quality).
    public var chunker = ChunkerSettings(maxTokens: 512, overlapTokens: 32)
    /// Prepend the document title and heading path to each chunk's embedded text (the stored
    /// and cited text stays the chunk itself).
    public var embedTitle = false

    enum CodingKeys: String, CodingKey {
        case model, modelDir = "model_dir", batchSize = "batch_size", batchWaitMs = "batch_wait_ms"
        case chunkMaxTokens = "chunk_max_tokens", chunkOverlapTokens = "chunk_overlap_tokens", embedTitle = "embed_title"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? model
        modelDir = try c.decodeIfPresent(String.self, forKey: .modelDir)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        batchWaitMs = try c.decodeIfPresent(Int.self, forKey: .batchWaitMs) ?? batchWaitMs
        chunker = ChunkerSettings(
            maxTokens: try c.decodeIfPresent(Int.self, forKey: .chunkMaxTokens) ?? chunker.maxTokens,
            overlapTokens: try c.decodeIfPresent(Int.self, forKey: .chunkOverlapTokens) ?? chunker.overlapTokens)
        embedTitle = try c.decodeIfPresent(Bool.self, forKey: .embedTitle) ?? embedTitle
    }
}

/// Where vectors live: the embedded index (zero setup, a directory) or PostgreSQL + pgvector.
public struct VectorStoreSettings: Sendable, Decodable {
    public enum Kind: String, Sendable, Decodable { case embedded, pgvector }

    public var kind = Kind.embedded
    /// The embedded index's directory; relative paths are relative to the working directory.
    public var path = ".run/vectors"
    /// The Postgres connection URL; `${VAR}` reads the environment. Default: `$SWITCHBOARD_PG_URL`.
    public var postgresURL = "${SWITCHBOARD_PG_URL}"
    /// HNSW search breadth (hnswlib `ef`, pgvector `hnsw.ef_search`).
    public var efSearch = 96

    enum CodingKeys: String, CodingKey { case kind, path, postgresURL = "postgres_url", efSearch = "ef_search" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? kind
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? path
        postgresURL = try c.decodeIfPresent(String.self, forKey: .postgresURL) ?? postgresURL
        efSearch = try c.decodeIfPresent(Int.self, forKey: .efSearch) ?? efSearch
    }
}

/// How the retriever builds a prompt from search results.
public struct RetrievalSettings: Sendable, Decodable {
    /// Chunks put into the prompt when a request does not say `top_k`.
    public var topK = 5
    /// Chunks below this cosine similarity are left out (before any lexical share is added).
    public var minScore = 0.0
    /// Upper bound on the characters of retrieved text put into one prompt.
    public var maxContextChars = 12_000
    /// The share of a chunk's lexical match (BM25 among the candidates, over the best one) added
    /// to its cosine score when re-ranking the nearest chunks (0: vector order only).
    public var lexicalWeight = 0.1
    /// How many of the nearest chunks are fetched and re-ranked (at least `top_k`).
    public var rerankCandidates = 100

    enum CodingKeys: String, CodingKey {
        case topK = "top_k", minScore = "min_score", maxContextChars = "max_context_chars"
        case lexicalWeight = "lexical_weight", rerankCandidates = "rerank_candidates"
    }

    /// The re-ranker these settings describe.
    public var reranker: LexicalReranker { LexicalReranker(weight: lexicalWeight, candidates: rerankCandidates) }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? topK
        minScore = try c.decodeIfPresent(Double.self, forKey: .minScore) ?? minScore
        maxContextChars = try c.decodeIfPresent(Int.self, forKey: .maxContextChars) ?? maxContextChars
        lexicalWeight = try c.decodeIfPresent(Double.self, forKey: .lexicalWeight) ?? lexicalWeight
        rerankCandidates = try c.decodeIfPresent(Int.self, forKey: .rerankCandidates) ?? rerankCandidates
    }
}
