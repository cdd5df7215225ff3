import Embeddings
import Foundation
import VectorStores

/// Chunks, embeds and stores one document into one index version: the business rule of the
/// embedder stage, shared with `reindex`. Idempotent: a document whose content hash is already
/// stored is skipped, and an upsert replaces the document's chunks as a whole.
public struct DocumentIndexer: Sendable {
    public let store: any VectorStore
    public let embedder: any TextEmbedder
    private let countTokens: @Sendable (String) -> Int

    /// `countTokens` is the embedding model's own token count (for chunk sizes).
    public init(store: any VectorStore, embedder: any TextEmbedder, countTokens: @escaping @Sendable (String) -> Int) {
        self.store = store
        self.embedder = embedder
        self.countTokens = countTokens
    }

    /// The hash that decides whether a document changed: its content and the version's settings.
    public static func contentHash(_ document: IngestDocument, version: IndexVersion) -> String {
        var canonical = "\(version.fingerprint)\n\(document.format?.rawValue ?? "")\n\(document.title ?? "")\n"
        for (key, value) in (document.metadata ?? [:]).sorted(by: { $0.key < $1.key }) {
            canonical += "\(key)=\(value)\n"
        }
        return Digest.sha256Hex(canonical + document.text)
    }

    /// The chunks of a document as they will be stored: text, metadata and the text to embed.
    public func chunks(of document: IngestDocument, tenant: String, version: IndexVersion)
        -> [(record: VectorRecord, embedText: String)] {
        Self.chunks(of: document, tenant: tenant, version: version, countTokens: countTokens)
    }

    /// The chunks of a document under `version`'s settings, token counts from `countTokens`.
    public static func chunks(of document: IngestDocument, tenant: String, version: IndexVersion,
                              countTokens: @escaping @Sendable (String) -> Int) -> [(record: VectorRecord, embedText: String)] {
        let chunker = DocumentChunker(settings: version.chunker, countTokens: countTokens)
        let markdown = document.format != .text
        let title = document.title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return chunker.chunk(documentID: document.id, text: document.text, markdown: markdown).map { chunk in
            var metadata = document.metadata ?? [:]
            if !title.isEmpty { metadata["title"] = title }
            if !chunk.headingPath.isEmpty { metadata["heading"] = chunk.headingPath.joined(separator: " > ") }
            metadata["offsets"] = "\(chunk.start)-\(chunk.end)"
            metadata["chunk_hash"] = chunk.contentHash
            let context = ([title] + chunk.headingPath).filter { !$0.isEmpty }.joined(separator: " > ")
            let embedText = version.embedTitle && !context.isEmpty ? "\(context)\n\(chunk.text)" : chunk.text
            let record = VectorRecord(tenant: tenant, documentID: document.id, chunkIndex: chunk.index, text: chunk.text,
                                      metadata: metadata, vector: [])
            return (record, embedText)
        }
    }

    /// Indexes `document` into `version` for `tenant`; returns the ack (indexed or unchanged).
    public func index(_ document: IngestDocument, tenant: String, version: IndexVersion) async throws -> IndexedAck {
        let hash = Self.contentHash(document, version: version)
        if try await store.contentHash(tenant: tenant, documentID: document.id, in: version.name) == hash {
            return IndexedAck(tenant: tenant, collection: version.collection, documentID: document.id, status: .unchanged,
                              indexVersion: version.name)
        }
        var pieces = chunks(of: document, tenant: tenant, version: version)
        let vectors = try await embedder.embed(pieces.map(\.embedText))
        for index in pieces.indices { pieces[index].record.vector = vectors[index] }
        try await store.upsert([DocumentVectors(tenant: tenant, documentID: document.id, contentHash: hash,
                                                chunks: pieces.map(\.record))], into: version.name)
        return IndexedAck(tenant: tenant, collection: version.collection, documentID: document.id, status: .indexed,
                          indexVersion: version.name, chunks: pieces.count)
    }

    /// Removes a document from `version`.
    public func delete(_ key: IngestKey, version: IndexVersion) async throws -> IndexedAck {
        try await store.deleteDocument(tenant: key.tenant, documentID: key.documentID, from: version.name)
        return IndexedAck(tenant: key.tenant, collection: key.collection, documentID: key.documentID, status: .deleted,
                          indexVersion: version.name)
    }
}
