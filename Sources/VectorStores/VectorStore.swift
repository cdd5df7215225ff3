/// One embedded chunk as a vector store keeps it: enough to search, filter, cite and put the text
/// into a prompt.
public struct VectorRecord: Sendable, Equatable, Codable {
    /// Unique within an index: `<documentID>#<chunkIndex>`.
    public var id: String { "\(documentID)#\(chunkIndex)" }
    public var tenant: String
    public var documentID: String
    public var chunkIndex: Int
    public var text: String
    /// The document's metadata plus chunk fields (title, heading path, offsets); filters match it.
    public var metadata: [String: String]
    /// L2-normalised, of the index's dimension.
    public var vector: [Float]

    public init(tenant: String, documentID: String, chunkIndex: Int, text: String,
                metadata: [String: String] = [:], vector: [Float]) {
        self.tenant = tenant
        self.documentID = documentID
        self.chunkIndex = chunkIndex
        self.text = text
        self.metadata = metadata
        self.vector = vector
    }
}

/// All chunks of one document. Upserting it makes the document's chunks in the index exactly
/// `chunks` (stale chunks of an older, longer version disappear), atomically as queries see it.
public struct DocumentVectors: Sendable, Equatable {
    public var tenant: String
    public var documentID: String
    /// The hash of the document's content and chunking; the embedder skips unchanged documents.
    public var contentHash: String
    public var chunks: [VectorRecord]

    public init(tenant: String, documentID: String, contentHash: String, chunks: [VectorRecord]) {
        self.tenant = tenant
        self.documentID = documentID
        self.contentHash = contentHash
        self.chunks = chunks
    }
}

/// A nearest-neighbour query, always scoped to one tenant.
public struct VectorQuery: Sendable, Equatable {
    public var vector: [Float]
    public var tenant: String
    public var k: Int
    /// Every key must be present in a chunk's metadata with exactly this value.
    public var filter: [String: String]

    public init(vector: [Float], tenant: String, k: Int, filter: [String: String] = [:]) {
        self.vector = vector
        self.tenant = tenant
        self.k = k
        self.filter = filter
    }
}

/// A search result: the chunk and its cosine similarity to the query (higher is closer).
public struct VectorHit: Sendable, Equatable {
    public var documentID: String
    public var chunkIndex: Int
    public var text: String
    public var metadata: [String: String]
    public var score: Float

    public init(documentID: String, chunkIndex: Int, text: String, metadata: [String: String], score: Float) {
        self.documentID = documentID
        self.chunkIndex = chunkIndex
        self.text = text
        self.metadata = metadata
        self.score = score
    }
}

/// An index (one version of a collection) as the store reports it.
public struct IndexInfo: Sendable, Equatable {
    public var name: String
    public var dimension: Int
    /// Live chunks, all tenants.
    public var chunks: Int
    /// Live documents, all tenants.
    public var documents: Int

    public init(name: String, dimension: Int, chunks: Int, documents: Int) {
        self.name = name
        self.dimension = dimension
        self.chunks = chunks
        self.documents = documents
    }
}

/// What went wrong in a store, with a message that says what to do.
public struct VectorStoreError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownIndex = "unknown_index"
        case dimensionMismatch = "dimension_mismatch"
        case invalidArgument = "invalid_argument"
        case unavailable
        case corrupt
        case io
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// A vector store: named indexes (collection versions) of tenant-scoped chunks, and aliases
/// (collection names) that point at one index each and switch atomically.
///
/// Every query is scoped by tenant: a tenant never sees another tenant's chunks. Writes are
/// idempotent: upserting the same document twice leaves the index as after the first.
public protocol VectorStore: Sendable {
    /// `embedded` or `pgvector`, for logs, metrics and the README's figures.
    var kind: String { get }

    /// Creates an index if it does not exist; an existing one with another dimension is an error.
    func createIndex(name: String, dimension: Int) async throws
    /// Drops an index and its data; dropping a missing one does nothing.
    func dropIndex(name: String) async throws
    func listIndexes() async throws -> [IndexInfo]

    /// Upserts whole documents (see `DocumentVectors`). Durable when it returns.
    func upsert(_ documents: [DocumentVectors], into index: String) async throws
    /// Removes every chunk of a document; removing a missing one does nothing.
    func deleteDocument(tenant: String, documentID: String, from index: String) async throws
    /// The content hash stored with a document, or nil when the index does not hold it.
    func contentHash(tenant: String, documentID: String, in index: String) async throws -> String?

    /// The `k` chunks of `query.tenant` closest to `query.vector` that match the filter, best first.
    func search(_ query: VectorQuery, in index: String) async throws -> [VectorHit]

    /// Points `alias` at `index` (which must exist), replacing any previous target atomically.
    func setAlias(_ alias: String, to index: String) async throws
    /// The index an alias points at, or nil.
    func resolveAlias(_ alias: String) async throws -> String?
    /// Every alias and its index.
    func aliases() async throws -> [String: String]

    /// Flushes and releases resources; the store is not used afterwards.
    func close() async throws
}
