import Foundation
import HTTPClient

/// OpenAI's chat-completions API, and every server that speaks it (vLLM, Ollama, llama.cpp).
public struct OpenAICompatibleProvider: ChatProvider {
    public let name: String
    private let baseURL: String
    private let apiKey: String?
    private let connectTimeout: Duration
    private let client: HTTPClient

    public init(config: ProviderConfig, client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) {
        name = config.name
        baseURL = config.baseURL.hasSuffix("/") ? String(config.baseURL.dropLast()) : config.baseURL
        apiKey = config.apiKeyEnv.flatMap { environment[$0] }
        connectTimeout = .milliseconds(config.connectTimeoutMs)
        self.client = client
    }

    struct WireRequest: Encodable {
        var model: String
        var messages: [ChatMessage]
        var max_tokens: Int?
        var temperature: Double?
    }

    struct WireResponse: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable { var content: String? }
            var message: Message
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int
            var completion_tokens: Int
        }
        var model: String?
        var choices: [Choice]
        var usage: Usage?
    }

    struct WireError: Decodable {
        struct Body: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }
        var error: Body
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        var headers: HTTPHeaders = ["content-type": "application/json", "x-request-id": request.requestID]
        if let apiKey { headers.add(name: "authorization", value: "Bearer \(apiKey)") }
        let body = EventCoding.encode(WireRequest(model: request.model, messages: request.messages,
                                                  max_tokens: request.maxTokens, temperature: request.temperature))
        let http = HTTPRequest(method: "POST", url: baseURL + "/v1/chat/completions", headers: headers, body: body,
                               connectTimeout: connectTimeout, timeout: request.timeout)
        let response: HTTPResponse
        do {
            response = try await client.execute(http)
        } catch {
            switch error.code {
            case .timeout: throw ProviderError(.timeout, "\(name): \(error.message)")
            default: throw ProviderError(.unavailable, "\(name): \(error.message)")
            }
        }
        guard (200..<300).contains(response.status) else {
            throw Self.classify(status: response.status, body: response.body, headers: response.headers, provider: name)
        }
        guard let wire = try? EventCoding.decode(WireResponse.self, from: response.body), let first = wire.choices.first else {
            throw ProviderError(.malformedResponse, "\(name): the response is not a chat completion", status: response.status)
        }
        return ProviderResponse(content: first.message.content ?? "", finishReason: first.finish_reason,
                                inputTokens: wire.usage?.prompt_tokens ?? 0, outputTokens: wire.usage?.completion_tokens ?? 0,
                                model: wire.model ?? request.model)
    }

    /// Maps an HTTP error answer to the internal error classes.
    static func classify(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> ProviderError {
        let detail = (try? EventCoding.decode(WireError.self, from: body))?.error
        let text = "\(provider): HTTP \(status)" + (detail?.message.map { ": \($0.prefix(300))" } ?? "")
        switch status {
        case 429:
            let retryAfter = headers.first("retry-after").flatMap(Double.init).map { Int($0 * 1000) }
            return ProviderError(.rateLimited, text, status: status, retryAfterMs: retryAfter)
        case 401, 403: return ProviderError(.authentication, text, status: status)
        case 400, 404, 422:
            if detail?.code == "context_length_exceeded" { return ProviderError(.contextTooLong, text, status: status) }
            if detail?.code == "content_filter" { return ProviderError(.contentFiltered, text, status: status) }
            return ProviderError(.badRequest, text, status: status)
        case 408, 504: return ProviderError(.timeout, text, status: status)
        default: return ProviderError(.serverError, text, status: status)
        }
    }
}
