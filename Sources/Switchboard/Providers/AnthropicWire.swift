import Foundation
import HTTPClient

/// Anthropic's Messages wire format, as far as the gateway reads or writes it.
enum AnthropicWire {
    struct Request: Encodable {
        var model: String
        var system: String?
        var messages: [ChatMessage]
        var max_tokens: Int
        var temperature: Double?
        var top_p: Double?
        var stop_sequences: [String]?
        var stream: Bool?

        init(_ request: ProviderRequest, stream: Bool) {
            model = request.model
            let system = request.messages.filter { $0.role == "system" }.map(\.content)
            self.system = system.isEmpty ? nil : system.joined(separator: "\n\n")
            messages = request.messages.filter { $0.role != "system" }
            max_tokens = request.maxTokens ?? AnthropicProvider.defaultMaxTokens
            temperature = request.temperature
            top_p = request.topP
            stop_sequences = request.stop
            self.stream = stream ? true : nil
        }
    }

    struct Usage: Decodable {
        var input_tokens: Int?
        var output_tokens: Int?
        var cache_read_input_tokens: Int?
        var cache_creation_input_tokens: Int?

        /// Internal `inputTokens` count every prompt token, cached ones included.
        func apply(to response: inout ProviderResponse) {
            let cached = cache_read_input_tokens ?? 0
            response.inputTokens = (input_tokens ?? 0) + cached + (cache_creation_input_tokens ?? 0)
            response.cachedInputTokens = cached
            if let output_tokens { response.outputTokens = output_tokens }
        }
    }

    struct Block: Decodable { var type: String; var text: String? }

    struct Message: Decodable {
        var model: String?
        var content: [Block]
        var stop_reason: String?
        var usage: Usage?
    }

    struct StreamEvent: Decodable {
        struct Start: Decodable { var model: String?; var usage: Usage? }
        struct Delta: Decodable { var text: String?; var stop_reason: String? }
        var type: String
        var message: Start?
        var delta: Delta?
        var usage: Usage?
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { var type: String?; var message: String? }
        var error: Detail
    }

    /// Anthropic's stop reasons in OpenAI's words, so replies read the same whoever answered.
    static func finishReason(_ stopReason: String) -> String {
        switch stopReason {
        case "end_turn", "stop_sequence": "stop"
        case "max_tokens": "length"
        case "refusal": "content_filter"
        default: stopReason
        }
    }

    static func classify(status: Int, body: [UInt8], headers: HTTPHeaders, provider: String) -> ProviderError {
        let detail = (try? EventCoding.decode(ErrorBody.self, from: body))?.error
        let text = "\(provider): HTTP \(status)" + (detail?.message.map { ": \($0.prefix(300))" } ?? "")
        let message = detail?.message?.lowercased() ?? ""
        switch (status, detail?.type) {
        case (429, _), (_, "rate_limit_error"):
            return ProviderError(.rateLimited, text, status: status, retryAfterMs: ProviderTransport.retryAfterMs(headers))
        case (529, _), (_, "overloaded_error"):
            return ProviderError(.overloaded, text, status: status, retryAfterMs: ProviderTransport.retryAfterMs(headers))
        case (401, _), (403, _): return ProviderError(.authentication, text, status: status)
        case (400..<500, _) where message.contains("prompt is too long") || message.contains("context"):
            return ProviderError(.contextTooLong, text, status: status)
        case (408, _), (504, _): return ProviderError(.timeout, text, status: status)
        case (400..<500, _): return ProviderError(.badRequest, text, status: status)
        default: return ProviderError(.serverError, text, status: status)
        }
    }
}
