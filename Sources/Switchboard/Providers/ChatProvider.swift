/// A chat-completion call in the provider-neutral internal form.
public struct ProviderRequest: Sendable {
    /// The provider's own model name.
    public var model: String
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    /// Sent to the provider for tracing and idempotency where it supports it.
    public var requestID: String
    public var timeout: Duration

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
    public var inputTokens: Int
    public var outputTokens: Int
    /// The model the provider says answered.
    public var model: String

    public init(content: String, finishReason: String?, inputTokens: Int, outputTokens: Int, model: String) {
        self.content = content
        self.finishReason = finishReason
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.model = model
    }
}

/// A provider failure, classified so callers can decide to retry, fail over or give up.
/// Messages never contain the provider's API key.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unavailable, timeout, rateLimited = "rate_limited", serverError = "server_error"
        case badRequest = "bad_request", authentication, contextTooLong = "context_too_long"
        case contentFiltered = "content_filtered", malformedResponse = "malformed_response"
    }

    public var kind: Kind
    public var message: String
    public var status: Int?
    public var retryAfterMs: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil, retryAfterMs: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
        self.retryAfterMs = retryAfterMs
    }

    public var isRetriable: Bool {
        switch kind {
        case .unavailable, .timeout, .rateLimited, .serverError, .malformedResponse: true
        case .badRequest, .authentication, .contextTooLong, .contentFiltered: false
        }
    }

    /// The reply error a caller sees for this failure.
    public var replyError: ReplyError {
        switch kind {
        case .unavailable: ReplyError(.providerUnavailable, "the model provider could not be reached: \(message)")
        case .timeout: ReplyError(.providerTimeout, "the model provider did not answer in time: \(message)")
        case .rateLimited: ReplyError(.rateLimited, "the model provider is rate limiting: \(message)", retryAfterMs: retryAfterMs)
        case .badRequest, .contextTooLong: ReplyError(.invalidRequest, "the model provider refused the request: \(message)")
        case .contentFiltered: ReplyError(.invalidRequest, "the model provider filtered the content: \(message)")
        case .serverError, .authentication, .malformedResponse: ReplyError(.providerError, "the model provider failed: \(message)")
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// One upstream model provider behind the LLM gateway.
public protocol ChatProvider: Sendable {
    var name: String { get }
    func complete(_ request: ProviderRequest) async throws(ProviderError) -> ProviderResponse
}
