import ArgumentParser
import Foundation
import VectorStores

/// `switchboard dev vector-writer`: upserts numbered batches into an embedded store and prints
/// `acked <n>` after each returns, for the crash test that SIGKILLs it mid-way and checks that
/// every acknowledged batch survived. Hidden: a test fixture, not an operator tool.
struct DevVectorWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vector-writer", abstract: "Upsert numbered batches into an embedded vector store, printing each ack.",
        shouldDisplay: false)

    @Option(name: .long, help: "Store directory.")
    var directory: String

    @Option(name: .long, help: "Index to write (created with --dimension if missing).")
    var index: String = "crash"

    @Option(name: .long, help: "Vector dimension.")
    var dimension: Int = 32

    @Option(name: .long, help: "Number of the first batch (to continue after a kill).")
    var firstBatch: Int = 0

    @Option(name: .long, help: "Batches to write (then it exits).")
    var batches: Int = 1_000_000

    @Option(name: .long, help: "Documents per batch.")
    var batchSize: Int = 20

    @Option(name: .long, help: "Chunks per document.")
    var chunks: Int = 3

    @Option(name: .long, help: "Log bytes that trigger a snapshot (small values snapshot often).")
    var snapshotBytes: Int = 256 << 10

    func run() async throws {
        var configuration = EmbeddedVectorStore.Configuration(directory: directory)
        configuration.snapshotLogBytes = snapshotBytes
        let store = try await EmbeddedVectorStore.open(configuration)
        try await store.createIndex(name: index, dimension: dimension)
        let generator = SyntheticVectors(dimension: dimension, clusters: 8, spread: 4)
        for batch in firstBatch..<firstBatch + batches {
            let documents = Self.batch(batch, size: batchSize, chunks: chunks, generator: generator)
            try await store.upsert(documents, into: index)
            print("acked \(batch)")
            fflush(nil)
        }
        try await store.close()
    }

    /// The documents of batch `n`: each alternates between two tenants, and every third batch
    /// also rewrites a document of the batch before (a re-upsert with fewer chunks).
    static func batch(_ n: Int, size: Int, chunks: Int, generator: SyntheticVectors) -> [DocumentVectors] {
        var documents = (0..<size).map { j in
            document(tenant: j % 2 == 0 ? "even" : "odd", id: "b\(n)-d\(j)", chunks: chunks, hash: "batch-\(n)",
                     first: (n * size + j) * chunks, generator: generator)
        }
        if n > 0 && n % 3 == 0 {
            documents.append(document(tenant: "even", id: "b\(n - 1)-d0", chunks: 1, hash: "rewritten-\(n)",
                                      first: (n * size) * chunks + 7_000_000, generator: generator))
        }
        return documents
    }

    static func document(tenant: String, id: String, chunks: Int, hash: String, first: Int, generator: SyntheticVectors) -> DocumentVectors {
        DocumentVectors(tenant: tenant, documentID: id, contentHash: hash, chunks: (0..<chunks).map { c in
            VectorRecord(tenant: tenant, documentID: id, chunkIndex: c, text: "\(id) chunk \(c)", vector: generator.vector(first + c))
        })
    }
}
