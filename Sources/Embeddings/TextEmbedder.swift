/// Turns texts into fixed-size vectors.
///
/// Implementations are safe to share between tasks. `embed` returns one vector
/// per input text, in the caller's order, each of length `dimension`.
public protocol TextEmbedder: Sendable {
    /// Length of every vector this embedder returns.
    var dimension: Int { get }
    /// Identifier of the model, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    var modelID: String { get }
    /// Embeds `texts`, returning one vector per text in the same order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

extension TextEmbedder {
    /// Embeds a single text.
    public func embed(_ text: String) async throws -> [Float] {
        let vectors = try await embed([text])
        guard let first = vectors.first else {
            throw EmbeddingError(.invalidInput, "embedder returned no vector for one text")
        }
        return first
    }
}
