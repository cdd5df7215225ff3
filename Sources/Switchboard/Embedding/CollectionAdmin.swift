import Embeddings
import Foundation
import Hummingbird
import Kafka
import Logging
import NIOCore
import Synchronization
import VectorStores

/// The embedding service's operator API, served beside `/metrics` by the process that runs the
/// embedder stage (the one process that owns an embedded index):
///
/// - `GET  /collections`: every collection, its versions, counts, and which version is active;
/// - `POST /collections/{name}/reindex`: starts a re-index (409 while one runs);
/// - `GET  /collections/{name}/reindex`: its progress;
/// - `POST /collections/{name}/search` `{"tenant", "query", "k", "filter"}`: the chunks a
///   retrieval would use, for evaluation and debugging.
///
/// It listens where `/metrics` does (loopback by default): an operator's port, not a caller's.
public final class CollectionAdmin: Sendable {
    public struct VersionInfo: Codable, Sendable {
        public var name: String
        public var active: Bool
        public var documents: Int
        public var chunks: Int
        public var model: String
        public var chunkMaxTokens: Int
        public var chunkOverlapTokens: Int

        enum CodingKeys: String, CodingKey {
            case name, active, documents, chunks, model
            case chunkMaxTokens = "chunk_max_tokens", chunkOverlapTokens = "chunk_overlap_tokens"
        }
    }

    public struct CollectionInfo: Codable, Sendable {
        public var collection: String
        public var active: String?
        public var versions: [VersionInfo]
    }

    public struct SearchRequest: Codable, Sendable {
        public var tenant: String
        public var query: String
        public var k: Int?
        public var filter: [String: String]?

        public init(tenant: String, query: String, k: Int? = nil, filter: [String: String]? = nil) {
            self.tenant = tenant
            self.query = query
            self.k = k
            self.filter = filter
        }
    }

    public struct SearchHit: Codable, Sendable {
        public var documentID: String
        public var chunk: Int
        public var score: Double
        public var title: String?
        public var text: String

        enum CodingKeys: String, CodingKey { case documentID = "document_id", chunk, score, title, text }
    }

    public struct SearchResponse: Codable, Sendable {
        public var version: String
        public var hits: [SearchHit]
    }

    private let directory: CollectionDirectory
    private let indexer: DocumentIndexer
    private let embedder: any TextEmbedder
    private let serializer: KeyedSerializer
    private let consumer: KafkaConfiguration
    private let ingestTopic: String
    private let logger: Logger
    private let reranker: LexicalReranker
    private let jobs = Mutex<[String: ReindexJob]>([:])

    public init(directory: CollectionDirectory, indexer: DocumentIndexer, embedder: any TextEmbedder, serializer: KeyedSerializer,
                consumer: KafkaConfiguration, ingestTopic: String, reranker: LexicalReranker = LexicalReranker(weight: 0, candidates: 0),
                logger: Logger) {
        self.reranker = reranker
        self.directory = directory
        self.indexer = indexer
        self.embedder = embedder
        self.serializer = serializer
        self.consumer = consumer
        self.ingestTopic = ingestTopic
        self.logger = logger
    }

    /// Every collection with its versions.
    public func collections() async throws -> [CollectionInfo] {
        let store = directory.store
        let aliases = try await store.aliases()
        var byCollection: [String: [VersionInfo]] = [:]
        for info in try await store.listIndexes() {
            guard let version = IndexVersion(name: info.name) else { continue }
            byCollection[version.collection, default: []].append(VersionInfo(
                name: info.name, active: aliases[version.collection] == info.name, documents: info.documents, chunks: info.chunks,
                model: version.model, chunkMaxTokens: version.chunker.maxTokens, chunkOverlapTokens: version.chunker.overlapTokens))
        }
        return byCollection.sorted { $0.key < $1.key }.map { name, versions in
            CollectionInfo(collection: name, active: aliases[name],
                           versions: versions.sorted { (IndexVersion(name: $0.name)?.sequence ?? 0) < (IndexVersion(name: $1.name)?.sequence ?? 0) })
        }
    }

    /// Starts a re-index of `collection` unless one is running.
    public func reindex(_ collection: String) async throws -> (ReindexStatus, started: Bool) {
        if let running = jobs.withLock({ $0[collection] }), running.current.state == .running {
            return (running.current, false)
        }
        let job = try await ReindexJob.start(collection: collection, directory: directory, indexer: indexer, serializer: serializer,
                                             consumer: consumer, topic: ingestTopic, logger: logger)
        jobs.withLock { $0[collection] = job }
        return (job.current, true)
    }

    public func reindexStatus(_ collection: String) -> ReindexStatus? {
        jobs.withLock { $0[collection] }?.current
    }

    /// The chunks a retrieval for `request` would use.
    public func search(_ collection: String, _ request: SearchRequest) async throws -> SearchResponse? {
        guard let version = try await directory.active(collection) else { return nil }
        let vector = try await embedder.embed(request.query)
        // The retriever's order: the nearest chunks re-ranked with their lexical match.
        let hits = try await reranker.retrieve(
            VectorQuery(vector: vector, tenant: request.tenant, k: min(max(request.k ?? 10, 1), 1000), filter: request.filter ?? [:]),
            text: request.query, from: directory.store, in: version.name)
        return SearchResponse(version: version.name, hits: hits.map {
            SearchHit(documentID: $0.documentID, chunk: $0.chunkIndex, score: Double($0.score), title: $0.metadata["title"], text: $0.text)
        })
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/collections") { _, _ -> Response in
            Self.json(.ok, try await self.collections())
        }
        router.post("/collections/{name}/reindex") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard IngestKey.isValidName(name) else { return Self.problem(.badRequest, "'\(name)' is not a collection name") }
            let (status, started) = try await self.reindex(name)
            return Self.json(started ? .accepted : .conflict, status)
        }
        router.get("/collections/{name}/reindex") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard let status = self.reindexStatus(name) else { return Self.problem(.notFound, "no re-index of '\(name)' since this process started") }
            return Self.json(.ok, status)
        }
        router.post("/collections/{name}/search") { request, context -> Response in
            let name = try context.parameters.require("name")
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let search = try? JSONDecoder().decode(SearchRequest.self, from: Data(buffer: body)) else {
                return Self.problem(.badRequest, "expected {\"tenant\": ..., \"query\": ..., \"k\": ..., \"filter\": {...}}")
            }
            guard let response = try await self.search(name, search) else { return Self.problem(.notFound, "collection '\(name)' does not exist") }
            return Self.json(.ok, response)
        }
    }

    static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: EventCoding.encode(value))))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }
}
