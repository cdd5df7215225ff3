/// An OpenAI chat-completions shaped request: the value of `llm.requests.v1`.
public struct ChatRequest: Sendable, Codable, Equatable {
    public var model: String?
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var stream: Bool?
    public var metadata: [String: String]?
    /// Retrieval-augmented generation: which collection to search.
    public var retrieval: RetrievalRequest?
    public var topP: Double? = nil
    /// Stop sequences (a string or up to four strings on the wire).
    public var stop: StopSequences? = nil
    /// How the prompt cache may serve this request.
    public var cache: CacheDirective? = nil

    enum CodingKeys: String, CodingKey {
        case model, messages, maxTokens = "max_tokens", temperature, stream, metadata, retrieval
        case topP = "top_p", stop, cache
    }

    public init(model: String? = nil, messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil,
                stream: Bool? = nil, metadata: [String: String]? = nil, retrieval: RetrievalRequest? = nil) {
        self.retrieval = retrieval
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stream = stream
        self.metadata = metadata
    }
}

/// One chat turn.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// The retrieval part of a request: a collection to search, how many passages, a filter.
public struct RetrievalRequest: Sendable, Codable, Equatable {
    public var collection: String
    public var topK: Int?
    public var filter: JSONValue?

    enum CodingKeys: String, CodingKey { case collection, topK = "top_k", filter }

    public init(collection: String, topK: Int? = nil, filter: JSONValue? = nil) {
        self.collection = collection
        self.topK = topK
        self.filter = filter
    }
}
