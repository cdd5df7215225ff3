import Embeddings
import Switchboard
import Synchronization
import Testing

/// `CoalescingEmbedder` over a stand-in model that records each batch and can hold it.
@Suite("Coalescing embedder")
struct CoalescingEmbedderTests {
    struct Failure: Error {}

    /// Each text's vector is its length and its first scalar, so a caller can tell whose it got.
    final class RecordingEmbedder: TextEmbedder {
        let dimension = 2
        let modelID = "recording"
        let batches = Mutex<[[String]]>([])
        /// While set, each batch waits until `release()`.
        let gated: Bool
        private let held = Mutex<[CheckedContinuation<Void, Never>]>([])

        init(gated: Bool) { self.gated = gated }

        static func vector(_ text: String) -> [Float] { [Float(text.count), Float(text.unicodeScalars.first!.value)] }

        func embed(_ texts: [String]) async throws -> [[Float]] {
            batches.withLock { $0.append(texts) }
            if gated { await withCheckedContinuation { continuation in held.withLock { $0.append(continuation) } } }
            if texts.contains("boom") { throw Failure() }
            return texts.map(Self.vector)
        }

        /// Lets the oldest held batch finish, once one is held.
        func release() async throws {
            for _ in 0..<500 {
                let continuation = held.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                if let continuation { return continuation.resume() }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("no batch was held")
        }

        func waitForBatches(_ count: Int) async throws {
            for _ in 0..<500 where batches.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test("a text runs at once when the model is idle; texts arriving while it runs go together in the next batch; each caller gets its own vectors")
    func batchesWhileBusy() async throws {
        let model = RecordingEmbedder(gated: true)
        let embedder = CoalescingEmbedder(model, batchSize: 32)
        let first = Task { try await embedder.embed(["a"]) }
        try await model.waitForBatches(1)
        let second = Task { try await embedder.embed(["bb", "ccc"]) }
        let third = Task { try await embedder.embed(["dddd"]) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(model.batches.withLock { $0 } == [["a"]], "nothing else runs while the first batch is with the model")
        try await model.release()
        try await model.waitForBatches(2)
        try await model.release()
        #expect(try await first.value == [RecordingEmbedder.vector("a")])
        #expect(try await second.value == ["bb", "ccc"].map(RecordingEmbedder.vector))
        #expect(try await third.value == [RecordingEmbedder.vector("dddd")])
        let batches = model.batches.withLock { $0 }
        #expect(batches.count == 2)
        #expect(Set(batches.last ?? []) == ["bb", "ccc", "dddd"], "\(batches)")
    }

    @Test("with maxWait a partial batch waits for company, and batchSize texts start it at once")
    func waitsWhenAsked() async throws {
        let model = RecordingEmbedder(gated: false)
        let embedder = CoalescingEmbedder(model, batchSize: 3, maxWait: .seconds(60))
        let one = Task { try await embedder.embed(["a"]) }
        let two = Task { try await embedder.embed(["b"]) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(model.batches.withLock { $0.isEmpty })
        let three = try await embedder.embed(["c"])
        #expect(three == [RecordingEmbedder.vector("c")])
        #expect(try await one.value == [RecordingEmbedder.vector("a")])
        #expect(try await two.value == [RecordingEmbedder.vector("b")])
        #expect(model.batches.withLock { $0.map { Set($0) } } == [["a", "b", "c"]])
    }

    @Test("a failed batch fails each of its callers, and the texts gathered meanwhile still run")
    func failure() async throws {
        let model = RecordingEmbedder(gated: true)
        let embedder = CoalescingEmbedder(model, batchSize: 32)
        let failing = Task { try await embedder.embed(["boom"]) }
        try await model.waitForBatches(1)
        let later = Task { try await embedder.embed(["fine"]) }
        try await Task.sleep(for: .milliseconds(50))
        try await model.release()
        try await model.release()
        await #expect(throws: Failure.self) { try await failing.value }
        #expect(try await later.value == [RecordingEmbedder.vector("fine")])
    }
}
