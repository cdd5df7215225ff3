import Foundation

/// The OpenAI chat-completions wire format the HTTP ingress answers with.
enum IngressWire {
    struct Completion: Encodable {
        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [CompletionChoice]
        var usage: CompletionUsage?
    }

    struct CompletionChoice: Encodable {
        var index: Int
        var message: ChatMessage
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(message, forKey: .message)
            // OpenAI always sends the key, null when unknown.
            try c.encode(finishReason, forKey: .finishReason)
        }
    }

    struct CompletionUsage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var code: String
            var param: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message)
                try c.encode(type, forKey: .type)
                try c.encode(code, forKey: .code)
                try c.encode(param, forKey: .param)
            }
            enum CodingKeys: String, CodingKey { case message, type, code, param }
        }
        var error: Detail
    }

    /// One vector of an embeddings answer: numbers, or OpenAI's base64 form.
    struct Embedding: Encodable {
        enum Vector {
            case float([Float])
            case base64(String)
        }
        var object = "embedding"
        var index: Int
        var vector: Vector
        enum CodingKeys: String, CodingKey { case object, index, embedding }

        init(index: Int, vector: Vector) {
            self.index = index
            self.vector = vector
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(object, forKey: .object)
            try c.encode(index, forKey: .index)
            switch vector {
            case .float(let values): try c.encode(values, forKey: .embedding)
            case .base64(let text): try c.encode(text, forKey: .embedding)
            }
        }
    }

    struct EmbeddingList: Encodable {
        struct Usage: Encodable {
            var promptTokens: Int
            var totalTokens: Int
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
        }
        var object = "list"
        var data: [Embedding]
        var model: String
        var usage: Usage
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created = 0
            var ownedBy: String
            enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
        }
        var object = "list"
        var data: [Model]
    }

    /// The completion for an `ok` reply.
    static func completion(_ reply: Reply) -> Completion {
        Completion(id: "chatcmpl-\(reply.requestID)", created: Int(Date().timeIntervalSince1970), model: reply.model ?? "",
                   choices: (reply.choices ?? []).map { CompletionChoice(index: $0.index, message: $0.message, finishReason: $0.finishReason) },
                   usage: reply.usage.map { CompletionUsage(promptTokens: $0.inputTokens, completionTokens: $0.outputTokens,
                                                            totalTokens: $0.inputTokens + $0.outputTokens) })
    }

    /// The HTTP status and OpenAI error type for a Switchboard error code (`unsupported` is the
    /// ingress's own code for features it does not serve yet).
    static func status(for code: String) -> (status: Int, type: String) {
        switch code {
        case "invalid_request", "unsupported_version", "unknown_model", "unsupported": (400, "invalid_request_error")
        case "unauthorized": (401, "authentication_error")
        case "forbidden": (403, "permission_error")
        case "payload_too_large": (413, "invalid_request_error")
        case "rate_limited": (429, "rate_limit_error")
        case "budget_exceeded": (429, "insufficient_quota")
        case "deadline_exceeded", "provider_timeout": (504, "timeout_error")
        case "provider_unavailable", "provider_error": (502, "api_error")
        default: (500, "api_error")
        }
    }
}
