import Foundation
import Testing
@testable import VectorStores

/// The conformance suite on the embedded store, each check in a fresh directory, reopening from
/// disk for the persistence check; then what only this backend has (its log and snapshots).
@Suite struct EmbeddedVectorStoreTests {
    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "switchboard-embedded-\(UUID().uuidString)"
    }

    static let conformance = VectorStoreConformance {
        let directory = temporaryDirectory()
        return VectorStoreConformance.Subject(
            store: try await EmbeddedVectorStore.open(directory: directory),
            reopen: { store in
                try await store.close()
                return try await EmbeddedVectorStore.open(directory: directory)
            },
            cleanUp: { try? FileManager.default.removeItem(atPath: directory) })
    }

    @Test(arguments: VectorStoreConformance.Check.allCases)
    func conformance(_ check: VectorStoreConformance.Check) async throws {
        try await Self.conformance.run(check)
    }

    /// Without `close()` nothing is snapshotted: reopening must rebuild everything from the log,
    /// as after a kill.
    @Test func reopenWithoutCloseReplaysTheLog() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let documents = (0..<30).map { Fixture.document("t\($0 % 3)", "d\($0)", chunks: 3, seed: UInt64(500 + $0)) }
        do {
            let store = try await EmbeddedVectorStore.open(directory: directory)
            try await store.createIndex(name: "docs-v1", dimension: VectorStoreConformance.dimension)
            try await store.upsert(documents, into: "docs-v1")
            try await store.deleteDocument(tenant: "t0", documentID: "d0", from: "docs-v1")
            try await store.setAlias("docs", to: "docs-v1")
        }
        let reopened = try await EmbeddedVectorStore.open(directory: directory)
        #expect(try await reopened.listIndexes() == [IndexInfo(name: "docs-v1", dimension: VectorStoreConformance.dimension, chunks: 87, documents: 29)])
        #expect(try await reopened.resolveAlias("docs") == "docs-v1")
        for document in documents.dropFirst() {
            let hits = try await reopened.search(VectorQuery(vector: document.chunks[2].vector, tenant: document.tenant, k: 1), in: "docs-v1")
            #expect(hits.first?.documentID == document.documentID && hits.first?.chunkIndex == 2)
        }
        try await reopened.close()
    }

    /// A kill in the middle of an append leaves a torn last record: it is cut off, everything
    /// before it survives, and the log takes new writes after it.
    @Test func tornLogTailIsCutAndEarlierWritesSurvive() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try await EmbeddedVectorStore.open(directory: directory)
            try await store.createIndex(name: "i", dimension: VectorStoreConformance.dimension)
            try await store.upsert([Fixture.document("t", "a", chunks: 2, seed: 1)], into: "i")
        }
        let log = directory + "/indexes/i/log-0"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2, 3, 4, 9, 9]))  // a header promising 64 bytes, then 2
        try handle.close()

        let reopened = try await EmbeddedVectorStore.open(directory: directory)
        #expect(try await reopened.contentHash(tenant: "t", documentID: "a", in: "i") != nil)
        try await reopened.upsert([Fixture.document("t", "b", chunks: 1, seed: 2)], into: "i")
        let again = try await EmbeddedVectorStore.open(directory: directory)
        #expect(try await again.listIndexes().first?.documents == 2, "the write after the cut replays too")
    }

    /// Snapshots taken while writing (a tiny threshold forces one per write) and the logs since
    /// them add up to the same state.
    @Test func snapshotsDuringWritesKeepEverything() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = EmbeddedVectorStore.Configuration(directory: directory)
        configuration.snapshotLogBytes = 1
        let documents = (0..<12).map { Fixture.document("t", "d\($0)", chunks: 2, seed: UInt64(700 + $0)) }
        do {
            let store = try await EmbeddedVectorStore.open(configuration)
            try await store.createIndex(name: "i", dimension: VectorStoreConformance.dimension)
            for document in documents { try await store.upsert([document], into: "i") }
            try await store.deleteDocument(tenant: "t", documentID: "d3", from: "i")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/indexes/i").sorted()
        #expect(files.filter { $0.hasPrefix("snap-") }.count == 1, "older snapshots are removed: \(files)")
        let reopened = try await EmbeddedVectorStore.open(directory: directory)
        #expect(try await reopened.listIndexes().first.map { [$0.chunks, $0.documents] } == [22, 11])
        let hits = try await reopened.search(VectorQuery(vector: documents[7].chunks[1].vector, tenant: "t", k: 1), in: "i")
        #expect(hits.first?.documentID == "d7")
    }

    @Test func damagedGraphFileIsACorruptErrorNotACrash() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await EmbeddedVectorStore.open(directory: directory)
        try await store.createIndex(name: "i", dimension: VectorStoreConformance.dimension)
        try await store.upsert((0..<20).map { Fixture.document("t", "d\($0)", chunks: 2, seed: UInt64($0)) }, into: "i")
        try await store.close()
        let graph = directory + "/indexes/i/snap-1/graph-0.hnsw"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: graph)[.size] as? Int)
        try FileHandle(forWritingAtPath: graph)!.truncate(atOffset: UInt64(size / 2))
        await #expect(throws: VectorStoreError.self) { _ = try await EmbeddedVectorStore.open(directory: directory) }
    }
}
