/// Index and alias names become file names in the embedded store and identifiers in Postgres, so
/// both stores accept the same conservative set: letters, digits, `.`, `_` and `-`, not starting
/// with a dot, at most 128 characters.
enum IndexName {
    static func validate(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed, !name.hasPrefix(".") else {
            throw VectorStoreError(.invalidArgument,
                                   "invalid name \"\(name)\": use 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'")
        }
    }
}

/// Checks of what callers hand a store, shared by every backend so they reject the same input
/// with the same codes.
enum DocumentCheck {
    static func validate(_ document: DocumentVectors, dimension: Int) throws {
        guard !document.tenant.isEmpty, !document.documentID.isEmpty else {
            throw VectorStoreError(.invalidArgument, "a document needs a tenant and a document id")
        }
        var seen = Set<Int>()
        for chunk in document.chunks {
            guard chunk.tenant == document.tenant, chunk.documentID == document.documentID else {
                throw VectorStoreError(.invalidArgument,
                                       "chunk \(chunk.id) of tenant \(chunk.tenant) does not belong to document \(document.documentID) of tenant \(document.tenant)")
            }
            guard seen.insert(chunk.chunkIndex).inserted else {
                throw VectorStoreError(.invalidArgument, "document \(document.documentID) has chunk \(chunk.chunkIndex) twice")
            }
            try validate(vector: chunk.vector, dimension: dimension, what: "chunk \(chunk.id)")
        }
    }

    static func validate(_ query: VectorQuery, dimension: Int) throws {
        guard query.k >= 0 else { throw VectorStoreError(.invalidArgument, "k must not be negative, got \(query.k)") }
        try validate(vector: query.vector, dimension: dimension, what: "the query vector")
    }

    static func validate(vector: [Float], dimension: Int, what: String) throws {
        guard vector.count == dimension else {
            throw VectorStoreError(.dimensionMismatch, "\(what) has \(vector.count) dimensions, the index \(dimension)")
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw VectorStoreError(.invalidArgument, "\(what) has a value that is not a finite number")
        }
    }
}

extension Dictionary where Key == String, Value == String {
    /// True when every key of `filter` is present here with exactly its value.
    func matches(_ filter: [String: String]) -> Bool {
        filter.allSatisfy { self[$0.key] == $0.value }
    }
}
