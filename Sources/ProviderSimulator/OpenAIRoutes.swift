import Foundation
import Hummingbird

/// OpenAI's chat completions, embeddings and models endpoints.
struct OpenAIRoutes: Sendable {
    let engine: SimulationEngine

    func register(on router: Router<SimulatorContext>) {
        router.post("/v1/chat/completions") { request, context in
            try await engine.handle(
                route: .chatCompletions, dialect: .openAI, request: request, context: context,
                authenticate: authenticate, answer: chatCompletion)
        }
        // Azure OpenAI: the deployment in the path, `api-version` in the query, `api-key` header.
        router.post("/openai/deployments/:deployment/chat/completions") { request, context in
            try await engine.handle(
                route: .chatCompletions, dialect: .openAI, request: request, context: context,
                authenticate: authenticateAzure, answer: chatCompletion)
        }
        router.post("/v1/embeddings") { request, context in
            try await engine.handle(
                route: .embeddings, dialect: .openAI, request: request, context: context,
                authenticate: authenticate, answer: embeddings)
        }
        router.get("/v1/models") { request, context in
            try await engine.handle(
                route: .models, dialect: .openAI, request: request, context: context,
                authenticate: authenticate, answer: models)
        }
    }

    /// With a configured key, requires `Authorization: Bearer <key>`.
    private func authenticate(_ request: Request) -> SimulatorRequestError? {
        guard let key = engine.configuration.apiKey else { return nil }
        guard let header = request.headers[.authorization] else {
            return SimulatorRequestError(status: 401, message: "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.")
        }
        guard header == "Bearer \(key)" else {
            return SimulatorRequestError(status: 401, message: "Incorrect API key provided.")
        }
        return nil
    }

    /// Requires the `api-version` query parameter, and with a configured key the `api-key` header.
    private func authenticateAzure(_ request: Request) -> SimulatorRequestError? {
        guard request.uri.queryParameters["api-version"] != nil else {
            return SimulatorRequestError(status: 404, message: "Resource not found: api-version is required")
        }
        guard let key = engine.configuration.apiKey else { return nil }
        guard request.headers[SimulatorHeader.azureAPIKey] == key else {
            return SimulatorRequestError(status: 401, message: "Access denied due to invalid subscription key.")
        }
        return nil
    }

    private func chatCompletion(_ body: ByteBuffer, seed: UInt64) throws -> SimulationEngine.Answer {
        let chat = try decodeJSON(OpenAIWire.ChatRequest.self, from: body)
        guard !chat.messages.isEmpty else {
            throw SimulatorRequestError(status: 400, message: "'messages' must contain at least one message")
        }
        let maxTokens = chat.maxCompletionTokens ?? chat.maxTokens
        if let maxTokens, maxTokens < 1 {
            throw SimulatorRequestError(status: 400, message: "'max_tokens' must be at least 1")
        }
        let completion = SimulatedCompletion(
            model: chat.model,
            messages: chat.messages.map { PromptMessage(role: $0.role, text: $0.content?.text ?? "") },
            maxTokens: maxTokens, configuration: engine.configuration, state: engine.state)
        let id = "chatcmpl-sim\(String(seed, radix: 36))"
        let created = Int(Date().timeIntervalSince1970)
        let finishReason = completion.cutByLimit ? "length" : "stop"

        guard chat.stream == true else {
            return .json(try encodeJSON(OpenAIWire.ChatCompletion(
                id: id, created: created, model: chat.model,
                choices: [.init(message: .init(content: completion.text), finishReason: finishReason)],
                usage: OpenAIWire.Usage(completion))))
        }
        func chunk(_ delta: OpenAIWire.ChatChunk.Delta, finish: String? = nil) throws -> ByteBuffer {
            try serverSentEvent(OpenAIWire.ChatChunk(
                id: id, created: created, model: chat.model,
                choices: [.init(delta: delta, finishReason: finish)]))
        }
        var events = [try chunk(.init(role: "assistant", content: ""))]
        let pieceTemplate = try JSONStringTemplate(OpenAIWire.ChatChunk(
            id: id, created: created, model: chat.model,
            choices: [.init(delta: .init(content: JSONStringTemplate.placeholder), finishReason: nil)]))
        events += serverSentEvents(completion.pieces, template: pieceTemplate)
        events.append(try chunk(.init(), finish: finishReason))
        if chat.streamOptions?.includeUsage == true {
            events.append(try serverSentEvent(OpenAIWire.ChatChunk(
                id: id, created: created, model: chat.model, choices: [], usage: OpenAIWire.Usage(completion))))
        }
        events.append(ByteBuffer(string: "data: [DONE]\n\n"))
        return .eventStream(events)
    }

    private func embeddings(_ body: ByteBuffer, seed: UInt64) throws -> SimulationEngine.Answer {
        let request = try decodeJSON(OpenAIWire.EmbeddingRequest.self, from: body)
        let dimension = request.dimensions ?? engine.configuration.embeddingDimension
        guard (1...16384).contains(dimension) else {
            throw SimulatorRequestError(status: 400, message: "'dimensions' must be in 1...16384")
        }
        guard !request.input.texts.isEmpty else {
            throw SimulatorRequestError(status: 400, message: "'input' must not be empty")
        }
        let base64 = request.encodingFormat == "base64"
        let data = request.input.texts.enumerated().map { index, text in
            let vector = SimulatedEmbedding.vector(model: request.model, text: text, dimension: dimension)
            let value: OpenAIWire.EmbeddingValue = base64 ? .base64(Self.base64(vector)) : .floats(vector)
            return OpenAIWire.EmbeddingList.Embedding(index: index, embedding: value)
        }
        return .json(try encodeJSON(OpenAIWire.EmbeddingList(
            data: data, model: request.model,
            usage: .init(promptTokens: request.input.tokens, totalTokens: request.input.tokens))))
    }

    private func models(_ body: ByteBuffer, seed: UInt64) throws -> SimulationEngine.Answer {
        .json(try encodeJSON(OpenAIWire.ModelList(
            data: engine.configuration.models.map { .init(id: $0, created: 1_700_000_000) })))
    }

    /// Little-endian float32, as the official SDKs decode it.
    private static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
