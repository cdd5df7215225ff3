import Embeddings
import Foundation
import Testing

@Suite("MiniLM embedder against sentence-transformers")
struct EmbedderTests {
    let data: ReferenceData
    let embedder: MiniLMEmbedder

    init() throws {
        data = try reference.get()
        embedder = try sharedEmbedder.get()
    }

    /// Checks every vector against vectors.f32 and prints the worst figures.
    private func check(_ vectors: [[Float]], label: String) {
        #expect(vectors.count == data.vectors.count)
        var worstCosine = 1.0, worstDiff = 0.0, worstID = ""
        for (index, (got, want)) in zip(vectors, data.vectors).enumerated() {
            #expect(got.count == 384)
            let (cosine, diff) = compare(got, want)
            if cosine < worstCosine { worstCosine = cosine; worstID = data.inputs[index].id }
            worstDiff = max(worstDiff, diff)
            #expect(cosine >= 0.99999, "\(data.inputs[index].id): cosine \(cosine), max |diff| \(diff)")
        }
        print("\(label): worst cosine \(worstCosine) (\(worstID)), max |diff| \(worstDiff)")
        #expect(worstDiff < 1e-5)
    }

    @Test("each reference text embedded alone matches vectors.f32")
    func oneAtATime() async throws {
        var vectors: [[Float]] = []
        for input in data.inputs {
            vectors.append(try await embedder.embed(input.text))
        }
        check(vectors, label: "one at a time")
    }

    @Test("all reference texts embedded in batches of 32 match vectors.f32")
    func batchesOf32() async throws {
        #expect(embedder.batchSize == 32)
        let vectors = try await embedder.embed(data.inputs.map(\.text))
        check(vectors, label: "batches of 32")
    }

    @Test("repeating a batch gives bit-identical vectors")
    func deterministic() async throws {
        // Guards the threaded forward pass: a race between the encoder
        // threads (or inside OpenBLAS) would show up as differing bits.
        let texts = data.inputs[96..<160].map(\.text)
        let first = try await embedder.embed(texts)
        let second = try await embedder.embed(texts)
        #expect(first == second)
    }

    @Test("the empty string gives a unit vector")
    func emptyString() async throws {
        for text in ["", "   ", "\u{200B}"] {
            let vector = try await embedder.embed(text)
            let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(vector.count == 384)
            #expect(abs(norm - 1) < 1e-5)
        }
        #expect(try await embedder.embed([String]()).isEmpty)
    }

    @Test("batch results come back in the caller's order")
    func callerOrder() async throws {
        // Lengths vary widely so that any reordering by length would show.
        let order = [188, 1, 101, 0, 57, 197, 20, 8, 140, 2]
        let texts = order.map { data.inputs[$0].text }
        let vectors = try await embedder.embed(texts)
        for (slot, index) in order.enumerated() {
            #expect(compare(vectors[slot], data.vectors[index]).cosine >= 0.99999, "slot \(slot) = \(data.inputs[index].id)")
        }
    }

    @Test("concurrent callers each get their own results")
    func concurrentCalls() async throws {
        let embedder = self.embedder, data = self.data
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for index in stride(from: 20, to: 100, by: 8) {
                group.addTask { (index, try await embedder.embed(data.inputs[index].text)) }
            }
            for try await (index, vector) in group {
                #expect(compare(vector, data.vectors[index]).cosine >= 0.99999, "\(data.inputs[index].id)")
            }
        }
    }

    @Test("paraphrases score as in the sentence-transformers documentation")
    func knownSimilarities() async throws {
        let v = try await embedder.embed(["The new movie is awesome", "The new movie is so great",
                                          "A man is playing guitar.", "The cat sits outside", "The dog plays in the garden"])
        #expect(abs(compare(v[0], v[1]).cosine - 0.8939) < 1e-3)
        #expect(abs(compare(v[3], v[4]).cosine - 0.2838) < 1e-3)
        #expect(embedder.dimension == 384)
        #expect(embedder.modelID == "sentence-transformers/all-MiniLM-L6-v2")
    }

    @Test("a cancelled caller gets the cancelled error")
    func cancellation() async throws {
        let embedder = self.embedder
        let texts = Array(repeating: "a sentence to embed", count: 64)
        let task = Task<EmbeddingError.Code?, Never> {
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                _ = try await embedder.embed(texts)
                return nil
            } catch {
                return (error as? EmbeddingError)?.code
            }
        }
        #expect(await task.value == .cancelled)
        // The embedder keeps working for everyone else.
        #expect(try await embedder.embed("still fine").count == 384)
    }

    @Test("a missing model directory names ops/install-model")
    func missingModel() {
        #expect {
            _ = try MiniLMEmbedder(modelDirectory: URL(fileURLWithPath: "/nonexistent/minilm"))
        } throws: { error in
            guard let error = error as? EmbeddingError else { return false }
            return error.code == .modelNotFound && error.message.contains("ops/install-model")
        }
    }
}
