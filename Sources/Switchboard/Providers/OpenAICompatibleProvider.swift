import Foundation
import HTTPClient

/// OpenAI's chat-completions API, Azure OpenAI (deployment URLs, `api-version`, `api-key`
/// header), and every server that speaks it (vLLM, Ollama, llama.cpp).
public struct OpenAICompatibleProvider: ChatProvider {
    public let name: String
    private let baseURL: String
    private let apiKey: String?
    private let azureAPIVersion: String?
    private let transport: ProviderTransport
    var transportForEmbeddings: ProviderTransport { transport }

    public init(config: ProviderConfig, client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) {
        name = config.name
        baseURL = config.baseURL.hasSuffix("/") ? String(config.baseURL.dropLast()) : config.baseURL
        apiKey = config.apiKeyEnv.flatMap { environment[$0] }
        azureAPIVersion = config.kind == .azure ? (config.apiVersion ?? ProviderConfig.defaultAzureAPIVersion) : nil
        transport = ProviderTransport(provider: config.name, client: client, connectTimeout: .milliseconds(config.connectTimeoutMs))
    }

    /// The endpoint for `path` (`chat/completions`, `embeddings`): Azure names the deployment
    /// in the URL and the API version in the query.
    func url(_ path: String, model: String) -> String {
        guard let azureAPIVersion else { return baseURL + "/v1/" + path }
        let deployment = model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? model
        return baseURL + "/openai/deployments/\(deployment)/\(path)?api-version=\(azureAPIVersion)"
    }

    func headers(requestID: String, extra: [String: String] = [:]) -> HTTPHeaders {
        var headers: HTTPHeaders = ["content-type": "application/json", "x-request-id": requestID]
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        if let apiKey {
            if azureAPIVersion != nil { headers.add(name: "api-key", value: apiKey) } else { headers.add(name: "authorization", value: "Bearer \(apiKey)") }
        }
        return headers
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        let body = EventCoding.encode(OpenAIWire.Request(request, stream: false))
        let response = try await transport.execute(url: url("chat/completions", model: request.model), headers: headers(requestID: request.requestID, extra: request.extraHeaders),
                                                    body: body, timeout: request.timeout)
        guard (200..<300).contains(response.status) else {
            throw OpenAIWire.classify(status: response.status, body: response.body, headers: response.headers, provider: name)
        }
        guard let wire = try? EventCoding.decode(OpenAIWire.Response.self, from: response.body), let first = wire.choices.first else {
            throw ProviderError(.malformedResponse, "\(name): the response is not a chat completion", status: response.status)
        }
        if first.finish_reason == "content_filter" {
            throw ProviderError(.contentFiltered, "\(name): the answer was filtered", status: response.status)
        }
        return ProviderResponse(content: first.message.content ?? "", finishReason: first.finish_reason,
                                inputTokens: wire.usage?.prompt_tokens ?? 0, outputTokens: wire.usage?.completion_tokens ?? 0,
                                cachedInputTokens: wire.usage?.prompt_tokens_details?.cached_tokens ?? 0, model: wire.model ?? request.model)
    }

    public func stream(_ request: ProviderRequest, onDelta: DeltaHandler) async throws(ProviderError) -> ProviderResponse {
        let body = EventCoding.encode(OpenAIWire.Request(request, stream: true))
        let name = self.name
        let response = try await transport.stream(url: url("chat/completions", model: request.model), headers: headers(requestID: request.requestID, extra: request.extraHeaders),
                                                  body: body, timeout: request.timeout) { status, body, headers in
            OpenAIWire.classify(status: status, body: body, headers: headers, provider: name)
        }
        var result = ProviderResponse(content: "", finishReason: nil, inputTokens: 0, outputTokens: 0, model: request.model)
        var done = false
        try await transport.events(of: response.body) { event throws(ProviderError) in
            if event.data == "[DONE]" { done = true; return }
            guard let chunk = try? EventCoding.decode(OpenAIWire.Chunk.self, from: Array(event.data.utf8)) else {
                throw ProviderError(.malformedResponse, "\(name): a stream event is not a chat completion chunk")
            }
            if let model = chunk.model { result.model = model }
            if let usage = chunk.usage {
                result.inputTokens = usage.prompt_tokens
                result.outputTokens = usage.completion_tokens
                result.cachedInputTokens = usage.prompt_tokens_details?.cached_tokens ?? 0
            }
            for choice in chunk.choices ?? [] {
                if let reason = choice.finish_reason { result.finishReason = reason }
                if let text = choice.delta?.content, !text.isEmpty {
                    result.content += text
                    await onDelta(text)
                }
            }
        }
        guard done else { throw ProviderError(.unavailable, "\(name): the stream ended without [DONE]") }
        return result
    }
}

/// OpenAI's wire format, as far as the gateway reads or writes it.
enum OpenAIWire {
    struct Request: Encodable {
        struct StreamOptions: Encodable { var include_usage = true }
        var model: String
        var messages: [ChatMessage]
        var max_tokens: Int?
        var temperature: Double?
        var top_p: Double?
        var stop: [String]?
        var stream: Bool?
        /// Without it a streamed call reports no usage and would be billed as zero.
        var stream_options: StreamOptions?

        init(_ request: ProviderRequest, stream: Bool) {
            model = request.model
            messages = request.messages
            max_tokens = request.maxTokens
            temperature = request.temperature
            top_p = request.topP
            stop = request.stop
            self.stream = stream ? true : nil
            stream_options = stream ? StreamOptions() : nil
        }
    }

    struct Usage: Decodable {
        struct Details: Decodable { var cached_tokens: Int? }
        var prompt_tokens: Int
        var completion_tokens: Int
        var prompt_tokens_details: Details?
    }

    struct Response: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
            var finish_reason: String?
        }
        var model: String?
        var choices: [Choice]
        var usage: Usage?
    }

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
    }

    struct ErrorBody: Decodable {
        struct Body: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }
        var error: Body
    }

    /// Maps an HTTP error answer to the internal error classes.
    static func classify(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> ProviderError {
        let detail = (try? EventCoding.decode(ErrorBody.self, from: body))?.error
        let text = "\(provider): HTTP \(status)" + (detail?.message.map { ": \($0.prefix(300))" } ?? "")
        switch status {
        case 429: return ProviderError(.rateLimited, text, status: status, retryAfterMs: ProviderTransport.retryAfterMs(headers))
        case 401, 403: return ProviderError(.authentication, text, status: status)
        case 400, 404, 413, 422:
            if detail?.code == "context_length_exceeded" { return ProviderError(.contextTooLong, text, status: status) }
            if detail?.code == "content_filter" || detail?.code == "content_policy_violation" {
                return ProviderError(.contentFiltered, text, status: status)
            }
            return ProviderError(.badRequest, text, status: status)
        case 408, 504: return ProviderError(.timeout, text, status: status)
        case 503, 529: return ProviderError(.overloaded, text, status: status, retryAfterMs: ProviderTransport.retryAfterMs(headers))
        default: return ProviderError(.serverError, text, status: status)
        }
    }
}
