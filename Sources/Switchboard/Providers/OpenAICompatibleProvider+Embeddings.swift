import Foundation

/// Text embeddings from a provider (OpenAI-style `/v1/embeddings`).
public protocol EmbeddingProvider: Sendable {
    /// One vector per input, in input order, and the prompt tokens the provider counted.
    func embed(_ inputs: [String], model: String, requestID: String, timeout: Duration) async throws(ProviderError) -> (vectors: [[Float]], inputTokens: Int)
}

extension OpenAICompatibleProvider: EmbeddingProvider {
    struct EmbeddingRequest: Encodable {
        var model: String
        var input: [String]
    }

    struct EmbeddingResponse: Decodable {
        struct Item: Decodable { var index: Int; var embedding: [Float] }
        struct Usage: Decodable { var prompt_tokens: Int }
        var data: [Item]
        var usage: Usage?
    }

    public func embed(_ inputs: [String], model: String, requestID: String, timeout: Duration) async throws(ProviderError) -> (vectors: [[Float]], inputTokens: Int) {
        let response = try await transportForEmbeddings.execute(url: url("embeddings", model: model), headers: headers(requestID: requestID),
                                                                body: EventCoding.encode(EmbeddingRequest(model: model, input: inputs)), timeout: timeout)
        guard (200..<300).contains(response.status) else {
            throw OpenAIWire.classify(status: response.status, body: response.body, headers: response.headers, provider: name)
        }
        guard let wire = try? EventCoding.decode(EmbeddingResponse.self, from: response.body), wire.data.count == inputs.count else {
            throw ProviderError(.malformedResponse, "\(name): the response is not one embedding per input", status: response.status)
        }
        return (wire.data.sorted { $0.index < $1.index }.map(\.embedding), wire.usage?.prompt_tokens ?? 0)
    }
}
