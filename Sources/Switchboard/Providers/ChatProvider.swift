/// A chat-completion call in the provider-neutral internal form.
public struct ProviderRequest: Sendable {
    /// The provider's own model name (for Azure OpenAI, the deployment name).
    public var model: String
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    /// Nucleus sampling and stop sequences, passed on as the caller gave them.
    public var topP: Double?
    public var stop: [String]?
    /// Sent to the provider for tracing and idempotency where it supports it.
    public var requestID: String
    public var timeout: Duration
    /// Further HTTP headers for the provider (never credentials: adapters add those).
    public var extraHeaders: [String: String] = [:]

    public init(model: String, messages: [ChatMessage], maxTokens: Int?, temperature: Double?, requestID: String, timeout: Duration) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.requestID = requestID
        self.timeout = timeout
    }
}

/// A provider's answer, mapped to the internal form.
public struct ProviderResponse: Sendable, Equatable {
    public var content: String
    public var finishReason: String?
    /// Every prompt token, cached ones included.
    public var inputTokens: Int
    public var outputTokens: Int
    /// Prompt tokens the provider served from its prompt cache (a part of `inputTokens`).
    public var cachedInputTokens: Int
    /// The model the provider says answered.
    public var model: String

    public init(content: String, finishReason: String?, inputTokens: Int, outputTokens: Int, cachedInputTokens: Int = 0, model: String) {
        self.content = content
        self.finishReason = finishReason
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.model = model
    }
}

/// Receives the text chunks of a streamed answer, in order, as they arrive.
public typealias DeltaHandler = @Sendable (String) async -> Void

/// One upstream model provider behind the LLM gateway.
public protocol ChatProvider: Sendable {
    var name: String { get }
    /// One whole answer.
    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse
    /// A streamed answer: `onDelta` sees each text chunk; the result carries the whole text and
    /// the usage the provider reported at the end of the stream. A stream that breaks throws.
    func stream(_ request: ProviderRequest, onDelta: DeltaHandler) async throws(ProviderError) -> ProviderResponse
}
