/// A provider failure, classified so callers can decide to retry, fail over or give up.
/// Messages never contain the provider's API key.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case unavailable, timeout, rateLimited = "rate_limited", overloaded, serverError = "server_error"
        case badRequest = "bad_request", authentication, contextTooLong = "context_too_long"
        case contentFiltered = "content_filtered", malformedResponse = "malformed_response"
        /// A stream broke after text already reached the caller: it cannot be retried elsewhere.
        case streamInterrupted = "stream_interrupted"
        /// No deployment could be tried (all cooling down or with open circuits).
        case noDeployment = "no_deployment"
        case deadlineExceeded = "deadline_exceeded"
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

    /// Whether another attempt (here or at another deployment) may succeed.
    public var isRetriable: Bool {
        switch kind {
        case .unavailable, .timeout, .rateLimited, .overloaded, .serverError, .malformedResponse: true
        case .badRequest, .authentication, .contextTooLong, .contentFiltered, .streamInterrupted, .noDeployment, .deadlineExceeded: false
        }
    }

    /// Whether the failure says the deployment itself is unhealthy (counts towards its circuit).
    public var isDeploymentFault: Bool {
        switch kind {
        case .unavailable, .timeout, .overloaded, .serverError, .malformedResponse: true
        default: false
        }
    }

    /// The reply error a caller sees for this failure.
    public var replyError: ReplyError {
        switch kind {
        case .unavailable, .noDeployment:
            ReplyError(.providerUnavailable, "the model provider could not be reached: \(message)", retryAfterMs: retryAfterMs)
        case .timeout: ReplyError(.providerTimeout, "the model provider did not answer in time: \(message)")
        case .deadlineExceeded: ReplyError(.deadlineExceeded, "the request's deadline passed: \(message)")
        case .rateLimited, .overloaded:
            ReplyError(.rateLimited, "the model provider is rate limiting or overloaded: \(message)", retryAfterMs: retryAfterMs)
        case .badRequest: ReplyError(.invalidRequest, "the model provider refused the request: \(message)")
        case .contextTooLong: ReplyError(.invalidRequest, "the prompt is longer than the model's context window: \(message)")
        case .contentFiltered: ReplyError(.invalidRequest, "the model provider filtered the content: \(message)")
        case .serverError, .authentication, .malformedResponse, .streamInterrupted:
            ReplyError(.providerError, "the model provider failed: \(message)")
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
