import Foundation
import HTTPClient

/// Anthropic's Messages API: system turns go to `system`, the key to `x-api-key`, and usage
/// counts cached prompt tokens apart from `input_tokens` (the internal form adds them back).
public struct AnthropicProvider: ChatProvider {
    public let name: String
    private let baseURL: String
    private let apiKey: String?
    private let version: String
    private let transport: ProviderTransport
    /// Anthropic requires `max_tokens`; this is used when the request names none.
    static let defaultMaxTokens = 1024

    public init(config: ProviderConfig, client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) {
        name = config.name
        baseURL = config.baseURL.hasSuffix("/") ? String(config.baseURL.dropLast()) : config.baseURL
        apiKey = config.apiKeyEnv.flatMap { environment[$0] }
        version = config.apiVersion ?? "2023-06-01"
        transport = ProviderTransport(provider: config.name, client: client, connectTimeout: .milliseconds(config.connectTimeoutMs))
    }

    var headers: HTTPHeaders {
        ["content-type": "application/json", "anthropic-version": version, "x-api-key": apiKey ?? ""]
    }

    public func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse {
        var headers = self.headers
        headers.add(name: "x-request-id", value: request.requestID)
        for (name, value) in request.extraHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let response = try await transport.execute(url: baseURL + "/v1/messages", headers: headers,
                                                   body: EventCoding.encode(AnthropicWire.Request(request, stream: false)), timeout: request.timeout)
        guard (200..<300).contains(response.status) else {
            throw AnthropicWire.classify(status: response.status, body: response.body, headers: response.headers, provider: name)
        }
        guard let wire = try? EventCoding.decode(AnthropicWire.Message.self, from: response.body) else {
            throw ProviderError(.malformedResponse, "\(name): the response is not a message", status: response.status)
        }
        if wire.stop_reason == "refusal" { throw ProviderError(.contentFiltered, "\(name): the model refused to answer") }
        var result = ProviderResponse(content: wire.content.compactMap(\.text).joined(), finishReason: wire.stop_reason.map(AnthropicWire.finishReason),
                                      inputTokens: 0, outputTokens: 0, model: wire.model ?? request.model)
        wire.usage?.apply(to: &result)
        return result
    }

    public func stream(_ request: ProviderRequest, onDelta: DeltaHandler) async throws(ProviderError) -> ProviderResponse {
        var headers = self.headers
        headers.add(name: "x-request-id", value: request.requestID)
        for (name, value) in request.extraHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let name = self.name
        let response = try await transport.stream(url: baseURL + "/v1/messages", headers: headers,
                                                  body: EventCoding.encode(AnthropicWire.Request(request, stream: true)),
                                                  timeout: request.timeout) { status, body, headers in
            AnthropicWire.classify(status: status, body: body, headers: headers, provider: name)
        }
        var result = ProviderResponse(content: "", finishReason: nil, inputTokens: 0, outputTokens: 0, model: request.model)
        var stopped = false
        try await transport.events(of: response.body) { event throws(ProviderError) in
            guard let wire = try? EventCoding.decode(AnthropicWire.StreamEvent.self, from: Array(event.data.utf8)) else {
                throw ProviderError(.malformedResponse, "\(name): a stream event is not JSON")
            }
            switch wire.type {
            case "message_start":
                if let model = wire.message?.model { result.model = model }
                wire.message?.usage?.apply(to: &result)
            case "content_block_delta":
                if let text = wire.delta?.text, !text.isEmpty {
                    result.content += text
                    await onDelta(text)
                }
            case "message_delta":
                if let reason = wire.delta?.stop_reason { result.finishReason = AnthropicWire.finishReason(reason) }
                // Only output tokens are cumulative here; the prompt was counted at message_start.
                if let output = wire.usage?.output_tokens { result.outputTokens = output }
            case "message_stop": stopped = true
            case "error":
                throw AnthropicWire.classify(status: 500, body: Array(event.data.utf8), headers: [:], provider: name)
            default: break
            }
        }
        guard stopped else { throw ProviderError(.unavailable, "\(name): the stream ended without message_stop") }
        return result
    }
}
