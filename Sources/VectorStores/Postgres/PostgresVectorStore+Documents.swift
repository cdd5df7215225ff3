import Foundation

/// Writes and reads of documents and chunks.
extension PostgresVectorStore {
    /// One transaction for the whole batch: the batch's documents lose their old chunks, gain
    /// the new ones and record their content hashes together, so a query sees either the old
    /// document or the new one, and a failed batch changes nothing. A document named twice in a
    /// batch is taken as its last occurrence.
    public func upsert(_ documents: [DocumentVectors], into index: String) async throws {
        var latest: [DocumentKeyPair: Int] = [:]
        for (position, document) in documents.enumerated() {
            latest[DocumentKeyPair(tenant: document.tenant, documentID: document.documentID)] = position
        }
        let batch = latest.values.sorted().map { documents[$0] }
        if batch.isEmpty {
            // Still an error to write into an index that does not exist.
            _ = try await withIndex(index, "upsert into '\(index)'") { _, _ throws(PostgresError) -> Result<Void, VectorStoreError> in
                .success(())
            }
            return
        }
        let statements = self.statements
        try await withIndex(index, "upsert \(batch.count) documents into '\(index)'") { connection, entry throws(PostgresError) -> Result<Void, VectorStoreError> in
            let payload: (keys: String, chunks: String, rows: String)
            do throws(VectorStoreError) {
                for document in batch { try Self.checkDocument(document, dimension: entry.dimension, index: index) }
                payload = try Self.payload(batch)
            } catch {
                return .failure(error)
            }
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute(statements.lockDocuments(id: entry.id), [payload.keys])
                try connection.execute(statements.deleteChunks(id: entry.id), [payload.keys])
                try connection.execute(statements.insertChunks(id: entry.id), [payload.chunks])
                try connection.execute(statements.upsertDocuments(id: entry.id), [payload.rows])
            }
            return .success(())
        }
    }

    public func deleteDocument(tenant: String, documentID: String, from index: String) async throws {
        let statements = self.statements
        let keys = try PostgresPayload.json([PostgresPayload.DocumentKey(tenant: tenant, document_id: documentID)])
        try await withIndex(index, "delete '\(documentID)' from '\(index)'") { connection, entry throws(PostgresError) -> Result<Void, VectorStoreError> in
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute(statements.lockDocuments(id: entry.id), [keys])
                try connection.execute(statements.deleteDocumentChunks(id: entry.id), [tenant, documentID])
                try connection.execute(statements.deleteDocumentRow(id: entry.id), [tenant, documentID])
            }
            return .success(())
        }
    }

    public func contentHash(tenant: String, documentID: String, in index: String) async throws -> String? {
        let statements = self.statements
        return try await withIndex(index, "read the content hash of '\(documentID)' in '\(index)'") { connection, entry throws(PostgresError) -> Result<String?, VectorStoreError> in
            .success(try connection.execute(statements.contentHash(id: entry.id), [tenant, documentID]).scalar)
        }
    }

    /// `k` nearest chunks of the tenant that match the filter, best first; score is
    /// 1 − cosine distance. Ties are broken by document id and chunk, so results are stable.
    public func search(_ query: VectorQuery, in index: String) async throws -> [VectorHit] {
        guard query.k >= 0 else { throw VectorStoreError(.invalidArgument, "k is \(query.k); it must not be negative") }
        try Self.checkText(query.tenant, "tenant")
        try Self.checkMetadata(query.filter, "filter")
        let statements = self.statements
        let filter = try PostgresPayload.json(query.filter)
        // LIMIT is an int parameter; an iterative scan stops at `max_scan_tuples` whatever k is.
        let k = min(query.k, Int(Int32.max))
        return try await withIndex(index, "search '\(index)'") { connection, entry throws(PostgresError) -> Result<[VectorHit], VectorStoreError> in
            do throws(VectorStoreError) {
                try Self.checkVector(query.vector, dimension: entry.dimension, index: index, what: "query vector")
            } catch {
                return .failure(error)
            }
            if k == 0 { return .success([]) }
            let rows = try connection.execute(statements.search(id: entry.id),
                                              [query.tenant, filter, PostgresPayload.vectorLiteral(query.vector), String(k)])
            return .success(rows.rows.compactMap { row -> VectorHit? in
                guard row.count == 5, let documentID = row[0], let chunk = row[1].flatMap({ Int($0) }),
                      let distance = row[4].flatMap({ Double($0) }) else { return nil }
                return VectorHit(documentID: documentID, chunkIndex: chunk, text: row[2] ?? "",
                                 metadata: PostgresPayload.metadata(row[3]), score: Float(1 - distance))
            })
        }
    }

    /// The three JSON parameters of an upsert: the documents' keys, their chunk rows, and their
    /// rows with content hashes.
    static func payload(_ batch: [DocumentVectors]) throws(VectorStoreError) -> (keys: String, chunks: String, rows: String) {
        var keys: [PostgresPayload.DocumentKey] = []
        var rows: [PostgresPayload.DocumentRow] = []
        var chunks: [PostgresPayload.ChunkRow] = []
        for document in batch {
            keys.append(.init(tenant: document.tenant, document_id: document.documentID))
            rows.append(.init(tenant: document.tenant, document_id: document.documentID, content_hash: document.contentHash))
            for chunk in document.chunks {
                chunks.append(.init(tenant: chunk.tenant, document_id: chunk.documentID, chunk: chunk.chunkIndex,
                                    text: chunk.text, metadata: chunk.metadata,
                                    embedding: PostgresPayload.vectorLiteral(chunk.vector)))
            }
        }
        return (try PostgresPayload.json(keys), try PostgresPayload.json(chunks), try PostgresPayload.json(rows))
    }
}

/// A document's identity within an index.
struct DocumentKeyPair: Hashable {
    let tenant: String
    let documentID: String
}
