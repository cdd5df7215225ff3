/// Checks on input before it reaches the server, so bad input gets an error that names it
/// (rather than a SQLSTATE) and nothing malformed is stored.
extension PostgresVectorStore {
    /// Index and alias names travel as parameters here, never as SQL, but every store accepts
    /// the same conservative set (`IndexName`), so a name that works on one works on all.
    static func checkName(_ name: String, _ what: String) throws(VectorStoreError) {
        do {
            try IndexName.validate(name)
        } catch let error as VectorStoreError {
            throw VectorStoreError(error.code, "\(what): \(error.message)")
        } catch {
            throw VectorStoreError(.invalidArgument, "\(what): \(error)")
        }
    }

    /// Postgres text cannot hold NUL; everything else is stored as given.
    static func checkText(_ value: String, _ what: String) throws(VectorStoreError) {
        if value.utf8.contains(0) {
            throw VectorStoreError(.invalidArgument, "\(what) contains a NUL character, which Postgres cannot store")
        }
    }

    static func checkKey(tenant: String, documentID: String) throws(VectorStoreError) {
        guard !tenant.isEmpty else { throw VectorStoreError(.invalidArgument, "tenant is empty") }
        guard !documentID.isEmpty else { throw VectorStoreError(.invalidArgument, "document id is empty") }
        try checkText(tenant, "tenant")
        try checkText(documentID, "document id '\(documentID.debugDescription)'")
    }

    /// A vector must have the index's dimension, finite components and a length (a zero vector
    /// has no cosine distance; pgvector would return NaN and order it arbitrarily).
    static func checkVector(_ vector: [Float], dimension: Int, index: String, what: String) throws(VectorStoreError) {
        guard vector.count == dimension else {
            throw VectorStoreError(.dimensionMismatch,
                                   "\(what) has \(vector.count) dimensions; index '\(index)' has \(dimension)")
        }
        guard vector.allSatisfy({ $0.isFinite }) else {
            throw VectorStoreError(.invalidArgument, "\(what) has a NaN or infinite component")
        }
        guard vector.contains(where: { $0 != 0 }) else {
            throw VectorStoreError(.invalidArgument, "\(what) is all zeros and has no direction to compare")
        }
    }

    static func checkMetadata(_ metadata: [String: String], _ what: String) throws(VectorStoreError) {
        for (key, value) in metadata {
            try checkText(key, "\(what) metadata key")
            try checkText(value, "\(what) metadata value of '\(key)'")
        }
    }

    /// A document's chunks must belong to it and have distinct positions.
    static func checkDocument(_ document: DocumentVectors, dimension: Int, index: String) throws(VectorStoreError) {
        try checkKey(tenant: document.tenant, documentID: document.documentID)
        try checkText(document.contentHash, "content hash of '\(document.documentID)'")
        var positions = Set<Int>()
        for chunk in document.chunks {
            let what = "chunk \(chunk.documentID)#\(chunk.chunkIndex)"
            guard chunk.tenant == document.tenant, chunk.documentID == document.documentID else {
                throw VectorStoreError(.invalidArgument,
                                       "\(what) of tenant '\(chunk.tenant)' is inside document '\(document.documentID)' of tenant '\(document.tenant)'")
            }
            guard chunk.chunkIndex >= 0, chunk.chunkIndex <= Int(Int32.max) else {
                throw VectorStoreError(.invalidArgument, "\(what): chunk index out of range")
            }
            guard positions.insert(chunk.chunkIndex).inserted else {
                throw VectorStoreError(.invalidArgument, "\(what) appears twice in document '\(document.documentID)'")
            }
            try checkText(chunk.text, "text of \(what)")
            try checkMetadata(chunk.metadata, what)
            try checkVector(chunk.vector, dimension: dimension, index: index, what: what)
        }
    }
}
