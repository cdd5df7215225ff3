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
}
