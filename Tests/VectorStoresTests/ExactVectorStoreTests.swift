import Testing
import VectorStores

/// The conformance suite on the exact reference store: the suite's own check, since the other
/// stores are measured against this one.
@Suite struct ExactVectorStoreTests {
    static let conformance = VectorStoreConformance {
        VectorStoreConformance.Subject(store: ExactVectorStore(), reopen: nil)
    }

    @Test(arguments: VectorStoreConformance.Check.allCases)
    func conformance(_ check: VectorStoreConformance.Check) async throws {
        try await Self.conformance.run(check)
    }

    @Test func searchIsExactAndScopedByTenant() async throws {
        let store = ExactVectorStore()
        try await store.createIndex(name: "exact-check", dimension: 2)
        let a = VectorRecord(tenant: "t1", documentID: "a", chunkIndex: 0, text: "a", vector: [1, 0])
        let b = VectorRecord(tenant: "t1", documentID: "b", chunkIndex: 0, text: "b", vector: [0.6, 0.8])
        let other = VectorRecord(tenant: "t2", documentID: "c", chunkIndex: 0, text: "c", vector: [1, 0])
        try await store.upsert([DocumentVectors(tenant: "t1", documentID: "a", contentHash: "ha", chunks: [a]),
                                DocumentVectors(tenant: "t1", documentID: "b", contentHash: "hb", chunks: [b]),
                                DocumentVectors(tenant: "t2", documentID: "c", contentHash: "hc", chunks: [other])], into: "exact-check")
        let hits = try await store.search(VectorQuery(vector: [1, 0], tenant: "t1", k: 5), in: "exact-check")
        #expect(hits.map(\.documentID) == ["a", "b"])
        #expect(abs(hits[1].score - 0.6) < 1e-6)
        await #expect(throws: VectorStoreError.self) { try await store.search(VectorQuery(vector: [1, 0], tenant: "t1", k: 1), in: "missing") }
    }
}
