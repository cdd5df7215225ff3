/// Anthropic Messages API bodies and stream events, as far as the simulator reads or writes them.
enum AnthropicWire {
    struct MessagesRequest: Decodable {
        var model: String
        var messages: [Message]
        var system: MessageText?
        var maxTokens: Int
        var stream: Bool?

        struct Message: Decodable {
            var role: String
            var content: MessageText
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, system, stream
            case maxTokens = "max_tokens"
        }
    }

    struct Usage: Encodable {
        var inputTokens: Int
        var outputTokens: Int
        var cacheReadInputTokens: Int
        var cacheCreationInputTokens = 0

        /// Anthropic counts cached prompt tokens apart from `input_tokens`.
        init(_ completion: SimulatedCompletion, outputTokens: Int) {
            inputTokens = completion.promptTokens - completion.cachedTokens
            self.outputTokens = outputTokens
            cacheReadInputTokens = completion.cachedTokens
        }

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case cacheReadInputTokens = "cache_read_input_tokens"
            case cacheCreationInputTokens = "cache_creation_input_tokens"
        }
    }

    struct TextBlock: Encodable {
        var type = "text"
        var text: String
    }

    struct Message: Encodable {
        var id: String
        var type = "message"
        var role = "assistant"
        var model: String
        var content: [TextBlock]
        /// Null in `message_start`, set in a complete message.
        var stopReason: String?
        var usage: Usage

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encode(role, forKey: .role)
            try container.encode(model, forKey: .model)
            try container.encode(content, forKey: .content)
            try container.encode(stopReason, forKey: .stopReason)
            try container.encodeNil(forKey: .stopSequence)
            try container.encode(usage, forKey: .usage)
        }

        enum CodingKeys: String, CodingKey {
            case id, type, role, model, content, usage
            case stopReason = "stop_reason"
            case stopSequence = "stop_sequence"
        }
    }

    struct MessageStart: Encodable {
        var type = "message_start"
        var message: Message
    }

    struct ContentBlockStart: Encodable {
        var type = "content_block_start"
        var index = 0
        var contentBlock = TextBlock(text: "")
        enum CodingKeys: String, CodingKey { case type, index, contentBlock = "content_block" }
    }

    struct Ping: Encodable {
        var type = "ping"
    }

    struct ContentBlockDelta: Encodable {
        var type = "content_block_delta"
        var index = 0
        var delta: TextDelta

        struct TextDelta: Encodable {
            var type = "text_delta"
            var text: String
        }
    }

    struct ContentBlockStop: Encodable {
        var type = "content_block_stop"
        var index = 0
    }

    struct MessageDelta: Encodable {
        var type = "message_delta"
        var delta: Delta
        var usage: OutputUsage

        struct Delta: Encodable {
            var stopReason: String

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(stopReason, forKey: .stopReason)
                try container.encodeNil(forKey: .stopSequence)
            }

            enum CodingKeys: String, CodingKey { case stopReason = "stop_reason", stopSequence = "stop_sequence" }
        }

        struct OutputUsage: Encodable {
            var outputTokens: Int
            enum CodingKeys: String, CodingKey { case outputTokens = "output_tokens" }
        }
    }

    struct MessageStop: Encodable {
        var type = "message_stop"
    }

    /// Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`.
    struct ErrorBody: Encodable {
        var type = "error"
        var error: Detail

        struct Detail: Encodable {
            var type: String
            var message: String
        }

        init(status: Int, message: String) {
            let type = switch status {
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 429: "rate_limit_error"
            case 503, 529: "overloaded_error"
            case 400..<500: "invalid_request_error"
            default: "api_error"
            }
            error = Detail(type: type, message: message)
        }
    }
}
