/// OpenAI request and response bodies, as far as the simulator reads or writes them.
enum OpenAIWire {
    struct ChatRequest: Decodable {
        var model: String
        var messages: [Message]
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var stream: Bool?
        var streamOptions: StreamOptions?

        struct Message: Decodable {
            var role: String
            var content: MessageText?
        }

        struct StreamOptions: Decodable {
            var includeUsage: Bool?
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, stream
            case maxTokens = "max_tokens"
            case maxCompletionTokens = "max_completion_tokens"
            case streamOptions = "stream_options"
        }
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int
        var promptTokensDetails: PromptTokensDetails

        struct PromptTokensDetails: Encodable {
            var cachedTokens: Int
            enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
        }

        init(_ completion: SimulatedCompletion) {
            promptTokens = completion.promptTokens
            completionTokens = completion.completionTokens
            totalTokens = completion.promptTokens + completion.completionTokens
            promptTokensDetails = PromptTokensDetails(cachedTokens: completion.cachedTokens)
        }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
            case promptTokensDetails = "prompt_tokens_details"
        }
    }

    struct ChatCompletion: Encodable {
        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage

        struct Choice: Encodable {
            var index = 0
            var message: Message
            var finishReason: String
            enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
        }

        struct Message: Encodable {
            var role = "assistant"
            var content: String
        }
    }

    struct ChatChunk: Encodable {
        var id: String
        var object = "chat.completion.chunk"
        var created: Int
        var model: String
        var choices: [Choice]
        /// Present only on the final usage chunk, whose `choices` is empty.
        var usage: Usage?

        struct Choice: Encodable {
            var index = 0
            var delta: Delta
            var finishReason: String?

            // OpenAI sends `"finish_reason": null` until the last choice; some clients rely on the key.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(delta, forKey: .delta)
                try container.encode(finishReason, forKey: .finishReason)
            }

            enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
        }

        struct Delta: Encodable {
            var role: String?
            var content: String?
        }
    }

    struct EmbeddingRequest: Decodable {
        var model: String
        var input: EmbeddingInput
        var dimensions: Int?
        var encodingFormat: String?

        enum CodingKeys: String, CodingKey {
            case model, input, dimensions
            case encodingFormat = "encoding_format"
        }
    }

    struct EmbeddingList: Encodable {
        var object = "list"
        var data: [Embedding]
        var model: String
        var usage: EmbeddingUsage

        struct Embedding: Encodable {
            var object = "embedding"
            var index: Int
            var embedding: EmbeddingValue
        }

        struct EmbeddingUsage: Encodable {
            var promptTokens: Int
            var totalTokens: Int
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
        }
    }

    /// A vector as JSON numbers, or as base64 of little-endian float32 (what the official
    /// SDKs request by default).
    enum EmbeddingValue: Encodable {
        case floats([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .floats(let values): try container.encode(values)
            case .base64(let text): try container.encode(text)
            }
        }
    }

    struct ModelList: Encodable {
        var object = "list"
        var data: [Model]

        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var ownedBy = "provider-simulator"
            enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
        }
    }

    /// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
    struct ErrorBody: Encodable {
        var error: Detail

        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        init(status: Int, message: String) {
            let (type, code): (String, String?) = switch status {
            case 401: ("invalid_request_error", "invalid_api_key")
            case 404: ("invalid_request_error", "not_found")
            case 429: ("requests", "rate_limit_exceeded")
            case 400..<500: ("invalid_request_error", nil)
            case 503: ("server_error", "service_unavailable")
            default: ("server_error", nil)
            }
            error = Detail(message: message, type: type, param: nil, code: code)
        }
    }
}

/// Text given as a string, as an array of parts with `text` (OpenAI content parts and
/// Anthropic content blocks alike), or as null. Non-text parts are skipped.
struct MessageText: Decodable {
    var text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = ""
        } else if let string = try? container.decode(String.self) {
            text = string
        } else {
            let parts = try container.decode([Part].self)
            text = parts.compactMap(\.text).joined(separator: "\n")
        }
    }

    private struct Part: Decodable {
        var text: String?
    }
}

/// Embedding input: a string, strings, a token array, or token arrays.
struct EmbeddingInput: Decodable {
    /// One text per input; token arrays become their numbers joined by spaces.
    var texts: [String]
    /// Prompt tokens: estimated for texts, counted for token arrays.
    var tokens: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            texts = [text]
            tokens = SimulatedCompletion.estimateTokens(text)
        } else if let list = try? container.decode([String].self) {
            texts = list
            tokens = list.reduce(0) { $0 + SimulatedCompletion.estimateTokens($1) }
        } else if let ids = try? container.decode([Int].self) {
            texts = [ids.map(String.init).joined(separator: " ")]
            tokens = ids.count
        } else {
            let lists = try container.decode([[Int]].self)
            texts = lists.map { $0.map(String.init).joined(separator: " ") }
            tokens = lists.reduce(0) { $0 + $1.count }
        }
    }
}
