/// The value of `llm.requests.v2`: Anthropic-style, with a top-level `system` and message
/// content as a string or a list of `{type: text, text}` blocks. The gateway upcasts it to the
/// one internal form, `ChatRequest`, so nothing downstream knows which version came in.
public struct ChatRequestV2: Sendable, Codable, Equatable {
    public var model: String?
    public var system: Content?
    public var messages: [Message]
    public var maxTokens: Int?
    public var temperature: Double?
    public var stream: Bool?
    public var metadata: [String: String]?
    public var retrieval: RetrievalRequest?

    enum CodingKeys: String, CodingKey {
        case model, system, messages, maxTokens = "max_tokens", temperature, stream, metadata, retrieval
    }

    /// One turn of a v2 conversation.
    public struct Message: Sendable, Codable, Equatable {
        public var role: String
        public var content: Content

        public init(role: String, content: Content) {
            self.role = role
            self.content = content
        }
    }

    /// Text, or text blocks (`[{type: text, text}]`).
    public enum Content: Sendable, Codable, Equatable {
        case text(String)
        case blocks([Block])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .blocks(try container.decode([Block].self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .blocks(let blocks): try container.encode(blocks)
            }
        }

        /// The text of all blocks, in order, separated by a blank line.
        public var text: String {
            switch self {
            case .text(let text): text
            case .blocks(let blocks): blocks.map(\.text).joined(separator: "\n\n")
            }
        }
    }

    /// A content block; only text blocks exist in v2 (the schema rejects other types).
    public struct Block: Sendable, Codable, Equatable {
        public var type: String
        public var text: String

        public init(text: String) {
            self.type = "text"
            self.text = text
        }
    }

    public init(model: String? = nil, system: Content? = nil, messages: [Message], maxTokens: Int? = nil,
                temperature: Double? = nil, stream: Bool? = nil, metadata: [String: String]? = nil, retrieval: RetrievalRequest? = nil) {
        self.model = model
        self.system = system
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stream = stream
        self.metadata = metadata
        self.retrieval = retrieval
    }

    /// The internal form: `system` becomes the first message, blocks become plain text.
    public func upcast() -> ChatRequest {
        var turns: [ChatMessage] = []
        if let system { turns.append(ChatMessage(role: "system", content: system.text)) }
        turns += messages.map { ChatMessage(role: $0.role, content: $0.content.text) }
        return ChatRequest(model: model, messages: turns, maxTokens: maxTokens, temperature: temperature,
                           stream: stream, metadata: metadata, retrieval: retrieval)
    }
}

/// The request API versions the gateway accepts.
public enum RequestVersion: String, Sendable, CaseIterable {
    case v1, v2

    /// The CloudEvents type of a request of this version.
    public var eventType: String { "llm.request.\(rawValue)" }
    /// The published contract (topics/) of this version.
    public var contract: String { "llm.requests.\(rawValue)" }
}
