import Foundation
import Synchronization
import Testing
import VectorStores

/// Kills a process that is writing to an embedded vector store and checks, on reopening, that
/// every batch it acknowledged is there and the index works: the store's durability promise.
@Suite struct VectorStoreCrashTests {
    static let batchSize = 20, chunks = 3, dimension = 32

    @Test("SIGKILL during upserts (twice, snapshots in between) loses no acknowledged batch and leaves a working index")
    func killDuringWritesKeepsAcknowledgedBatches() async throws {
        let directory = NSTemporaryDirectory() + "switchboard-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var acked = try await writeThenKill(directory: directory, firstBatch: 0, killAfter: 25)
        try await verify(directory: directory, acknowledged: acked)
        acked += try await writeThenKill(directory: directory, firstBatch: (acked.max() ?? -1) + 1, killAfter: 15)
        try await verify(directory: directory, acknowledged: acked)
    }

    /// Starts the writer, waits for `killAfter` acks, SIGKILLs it; returns the batches acked.
    private func writeThenKill(directory: String, firstBatch: Int, killAfter: Int) async throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RunAllProcessTests.binary())
        process.arguments = ["dev", "vector-writer", "--directory", directory, "--first-batch", "\(firstBatch)",
                             "--batch-size", "\(Self.batchSize)", "--chunks", "\(Self.chunks)", "--dimension", "\(Self.dimension)",
                             "--snapshot-bytes", "40000"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let received = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            received.withLock { $0 += text }
        }
        try process.run()
        var acks: [Int] = []
        for _ in 0..<600 {
            acks = received.withLock { $0 }.split(separator: "\n").compactMap { $0.hasPrefix("acked ") ? Int($0.dropFirst(6)) : nil }
            if acks.count >= killAfter || !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        // Acks printed between the last poll and the kill count too.
        acks = received.withLock { $0 }.split(separator: "\n").compactMap { $0.hasPrefix("acked ") ? Int($0.dropFirst(6)) : nil }
        #expect(process.terminationReason == .uncaughtSignal, "the writer was killed, it did not finish")
        #expect(acks.count >= killAfter, "the writer acknowledged \(acks.count) batches before the kill")
        return acks
    }

    private func verify(directory: String, acknowledged: [Int]) async throws {
        let store = try await EmbeddedVectorStore.open(directory: directory)
        let generator = SyntheticVectors(dimension: Self.dimension, clusters: 8, spread: 4)
        let acked = Set(acknowledged)
        for batch in acknowledged {
            for j in 0..<Self.batchSize {
                let id = "b\(batch)-d\(j)", tenant = j % 2 == 0 ? "even" : "odd"
                let hash = try await store.contentHash(tenant: tenant, documentID: id, in: "crash")
                let rewrittenBy = batch + 1
                let mayBeRewritten = j == 0 && rewrittenBy % 3 == 0
                if mayBeRewritten && acked.contains(rewrittenBy) {
                    #expect(hash == "rewritten-\(rewrittenBy)", "\(id)")
                } else if mayBeRewritten {
                    #expect(hash == "batch-\(batch)" || hash == "rewritten-\(rewrittenBy)", "\(id): \(hash ?? "missing")")
                } else {
                    #expect(hash == "batch-\(batch)", "\(id) of acknowledged batch \(batch): \(hash ?? "missing")")
                    let vector = generator.vector((batch * Self.batchSize + j) * Self.chunks + 1)
                    let hits = try await store.search(VectorQuery(vector: vector, tenant: tenant, k: 1), in: "crash")
                    #expect(hits.first?.documentID == id && hits.first?.chunkIndex == 1, "\(id) is found by its own vector")
                }
            }
        }
        // Beyond the acknowledged batches at most the one in flight may have landed.
        let documents = try #require(try await store.listIndexes().first { $0.name == "crash" }).documents
        #expect(documents == acked.count * Self.batchSize || documents == (acked.count + 1) * Self.batchSize,
                "\(documents) documents for \(acked.count) acknowledged batches")
        // The index keeps taking writes after the crash.
        try await store.upsert([DocumentVectors(tenant: "odd", documentID: "after-crash", contentHash: "x", chunks: [
            VectorRecord(tenant: "odd", documentID: "after-crash", chunkIndex: 0, text: "t", vector: generator.vector(99_999_999)),
        ])], into: "crash")
        try await store.deleteDocument(tenant: "odd", documentID: "after-crash", from: "crash")
        try await store.close()
    }
}
