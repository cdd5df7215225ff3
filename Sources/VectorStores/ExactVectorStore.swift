/// The exact reference store: brute-force cosine search over vectors held in memory.
///
/// Not a production backend: nothing is persisted and every query reads every chunk of its
/// tenant. It exists as the ground truth that the real stores are measured against: the shared
/// conformance suite runs on it first (so a failing check points at the suite or at a backend,
/// never at both), and `bench vectors` takes its answers as the exact top-k for recall@k.
public actor ExactVectorStore: VectorStore {
    public nonisolated let kind = "exact"

    private struct DocumentKey: Hashable {
        var tenant: String
        var documentID: String
    }

    private struct StoredDocument {
        var contentHash: String
        var chunks: [VectorRecord]
    }

    /// One tenant's chunks as a row-major matrix, rebuilt on the first search after a write so
    /// that the scan runs over contiguous memory.
    private struct TenantMatrix {
        var records: [VectorRecord]
        var vectors: [Float]
    }

    private struct Index {
        var dimension: Int
        var documents: [DocumentKey: StoredDocument] = [:]
        var matrices: [String: TenantMatrix] = [:]
    }

    private var indexes: [String: Index] = [:]
    private var aliasTable: [String: String] = [:]

    public init() {}

    public func createIndex(name: String, dimension: Int) throws {
        try IndexName.validate(name)
        guard dimension > 0 else { throw VectorStoreError(.invalidArgument, "dimension must be positive, got \(dimension)") }
        if let existing = indexes[name] {
            guard existing.dimension == dimension else {
                throw VectorStoreError(.dimensionMismatch, "index \(name) exists with dimension \(existing.dimension), not \(dimension)")
            }
            return
        }
        indexes[name] = Index(dimension: dimension)
    }

    public func dropIndex(name: String) {
        indexes[name] = nil
        aliasTable = aliasTable.filter { $0.value != name }
    }

    public func listIndexes() -> [IndexInfo] {
        indexes.map { name, index in
            IndexInfo(name: name, dimension: index.dimension,
                      chunks: index.documents.values.reduce(0) { $0 + $1.chunks.count }, documents: index.documents.count)
        }.sorted { $0.name < $1.name }
    }

    public func upsert(_ documents: [DocumentVectors], into name: String) throws {
        var index = try lookup(name)
        for document in documents {
            try DocumentCheck.validate(document, dimension: index.dimension)
        }
        for document in documents {
            let key = DocumentKey(tenant: document.tenant, documentID: document.documentID)
            index.documents[key] = StoredDocument(contentHash: document.contentHash, chunks: document.chunks)
            index.matrices[document.tenant] = nil
        }
        indexes[name] = index
    }

    public func deleteDocument(tenant: String, documentID: String, from name: String) throws {
        var index = try lookup(name)
        guard index.documents.removeValue(forKey: DocumentKey(tenant: tenant, documentID: documentID)) != nil else { return }
        index.matrices[tenant] = nil
        indexes[name] = index
    }

    public func contentHash(tenant: String, documentID: String, in name: String) throws -> String? {
        try lookup(name).documents[DocumentKey(tenant: tenant, documentID: documentID)]?.contentHash
    }

    public func search(_ query: VectorQuery, in name: String) throws -> [VectorHit] {
        let index = try lookup(name)
        try DocumentCheck.validate(query, dimension: index.dimension)
        let matrix = try index.matrices[query.tenant] ?? buildMatrix(name, tenant: query.tenant)
        var top = TopK(k: query.k)
        matrix.vectors.withUnsafeBufferPointer { rows in
            query.vector.withUnsafeBufferPointer { q in
                for (row, record) in matrix.records.enumerated() where record.metadata.matches(query.filter) {
                    let start = rows.baseAddress! + row * index.dimension
                    top.offer(row, score: VectorMath.dot(start, q.baseAddress!, count: index.dimension))
                }
            }
        }
        return top.sorted().map { row, score in
            let record = matrix.records[row]
            return VectorHit(documentID: record.documentID, chunkIndex: record.chunkIndex, text: record.text,
                             metadata: record.metadata, score: score)
        }
    }

    public func setAlias(_ alias: String, to name: String) throws {
        try IndexName.validate(alias)
        _ = try lookup(name)
        aliasTable[alias] = name
    }

    public func resolveAlias(_ alias: String) -> String? { aliasTable[alias] }

    public func aliases() -> [String: String] { aliasTable }

    public func close() {}

    private func lookup(_ name: String) throws -> Index {
        guard let index = indexes[name] else { throw VectorStoreError(.unknownIndex, "no index named \(name)") }
        return index
    }

    private func buildMatrix(_ name: String, tenant: String) throws -> TenantMatrix {
        var index = try lookup(name)
        let records = index.documents.filter { $0.key.tenant == tenant }.values.flatMap(\.chunks)
        let matrix = TenantMatrix(records: records, vectors: records.flatMap(\.vector))
        index.matrices[tenant] = matrix
        indexes[name] = index
        return matrix
    }
}
