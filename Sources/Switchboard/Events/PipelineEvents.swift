/// What the gateway forwards to the completer (`llm.complete.v1`): the authenticated,
/// validated request without its credential.
public struct CompletionTask: Sendable, Codable {
    public var requestID: String
    public var principal: Principal
    public var apiVersion: String
    public var replyTo: String
    public var deadlineMs: Int64?
    public var receivedAtMs: Int64
    public var request: ChatRequest
    public var timings: [String: Double]
    /// Set by the router.
    public var route: RouteDecision? = nil
    /// Set by the retriever for requests with a `retrieval` block.
    public var retrieval: RetrievalResult? = nil
    /// Set by the gateway: the catalog models the key's scope allows, for the router's
    /// choice; nil when the scope allows every model.
    public var allowedModels: [String]? = nil

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", principal, apiVersion = "api_version", replyTo = "reply_to"
        case deadlineMs = "deadline_ms", receivedAtMs = "received_at_ms", request, timings, route, retrieval
        case allowedModels = "allowed_models"
    }
}

/// The reply a caller receives on its reply-to topic (`llm.results.v1`).
public struct Reply: Sendable, Codable, Equatable {
    public var requestID: String
    public var status: Status
    public var apiVersion: String
    public var error: ReplyError?
    public var provider: String?
    public var model: String?
    public var choices: [Choice]?
    public var usage: Usage?
    public var timings: [String: Double]
    /// The router's decision, when the request was routed.
    public var route: RouteDecision? = nil
    /// The retrieval used (collection, index version, sources), for requests with a `retrieval` block.
    public var retrieval: RetrievalResult? = nil
    /// How the prompt cache served the request.
    public var cache: CacheInfo? = nil
    /// The vectors of an embedding call, one per input in order (``EmbeddingVector``).
    public var embeddings: [String]? = nil

    public enum Status: String, Sendable, Codable { case ok, error }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", status, apiVersion = "api_version", error, provider, model, choices, usage, timings
        case route, retrieval, cache, embeddings
    }

    public init(requestID: String, status: Status, apiVersion: String = "v1", error: ReplyError? = nil,
                provider: String? = nil, model: String? = nil, choices: [Choice]? = nil, usage: Usage? = nil,
                timings: [String: Double] = [:]) {
        self.requestID = requestID
        self.status = status
        self.apiVersion = apiVersion
        self.error = error
        self.provider = provider
        self.model = model
        self.choices = choices
        self.usage = usage
        self.timings = timings
    }

    /// An error reply.
    public static func failure(requestID: String, _ error: ReplyError, timings: [String: Double] = [:]) -> Reply {
        Reply(requestID: requestID, status: .error, error: error, timings: timings)
    }
}

/// A stable error code, a message telling the caller what to do, and when to retry.
public struct ReplyError: Sendable, Codable, Equatable, Error {
    public var code: Code
    public var message: String
    public var retryAfterMs: Int?

    public enum Code: String, Sendable, Codable {
        case invalidRequest = "invalid_request"
        case unauthorized
        case forbidden
        case payloadTooLarge = "payload_too_large"
        case rateLimited = "rate_limited"
        case budgetExceeded = "budget_exceeded"
        case unsupportedVersion = "unsupported_version"
        case unknownModel = "unknown_model"
        case deadlineExceeded = "deadline_exceeded"
        case providerUnavailable = "provider_unavailable"
        case providerError = "provider_error"
        case providerTimeout = "provider_timeout"
        case internalError = "internal_error"
    }

    enum CodingKeys: String, CodingKey { case code, message, retryAfterMs = "retry_after_ms" }

    public init(_ code: Code, _ message: String, retryAfterMs: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterMs = retryAfterMs
    }
}

/// One generated answer.
public struct Choice: Sendable, Codable, Equatable {
    public var index: Int
    public var message: ChatMessage
    public var finishReason: String?

    enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }

    public init(index: Int, message: ChatMessage, finishReason: String?) {
        self.index = index
        self.message = message
        self.finishReason = finishReason
    }
}

/// Tokens and their exact cost.
public struct Usage: Sendable, Codable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Exact cost in pico-USD (10⁻¹² USD).
    public var costPicoUSD: Int64
    /// The same cost as a decimal string, for people.
    public var costUSD: String
    /// Prompt tokens the provider served from its prompt cache (part of `inputTokens`).
    public var cachedInputTokens: Int?

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens", outputTokens = "output_tokens", costPicoUSD = "cost_picousd", costUSD = "cost_usd"
        case cachedInputTokens = "cached_input_tokens"
    }

    public init(inputTokens: Int, outputTokens: Int, costPicoUSD: Int64, cachedInputTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costPicoUSD = costPicoUSD
        self.costUSD = Money.usdString(picoUSD: costPicoUSD)
        self.cachedInputTokens = cachedInputTokens
    }
}

/// One per request, success or failure, on `llm.usage.v1`: everything but content.
public struct UsageEvent: Sendable, Codable, Equatable {
    public var requestID: String
    public var tenant: String?
    public var keyID: String?
    public var status: Reply.Status
    public var errorCode: String?
    public var stage: String
    public var provider: String?
    public var model: String?
    public var inputTokens: Int
    public var outputTokens: Int
    public var costPicoUSD: Int64
    public var latencyMs: Double
    public var providerLatencyMs: Double?
    public var timestampMs: Int64
    /// The deployment (`provider/model`) that answered, or the last one tried.
    public var deployment: String? = nil
    public var cachedInputTokens: Int? = nil
    /// Every provider call made for the request, in order.
    public var attempts: [Attempt]? = nil
    /// Attempts after the first.
    public var retries: Int? = nil
    /// Whether a deployment other than the first one tried answered (or was tried last).
    public var failover: Bool? = nil
    public var stream: Bool? = nil
    /// Time to the first streamed chunk, from the start of the provider calls.
    public var timeToFirstTokenMs: Double? = nil
    /// The routing tier the request was served by, and why (`RouteDecision.reason`).
    public var tier: String? = nil
    public var routeReason: String? = nil
    /// How the prompt cache served the request (nil: the cache was not consulted).
    public var cache: CacheInfo.Outcome? = nil
    /// For cache hits: what the original provider call cost, saved this time.
    public var cacheSavedPicoUSD: Int64? = nil

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", tenant, keyID = "key_id", status, errorCode = "error_code", stage, provider, model
        case inputTokens = "input_tokens", outputTokens = "output_tokens", costPicoUSD = "cost_picousd"
        case latencyMs = "latency_ms", providerLatencyMs = "provider_latency_ms", timestampMs = "timestamp_ms"
        case deployment, cachedInputTokens = "cached_input_tokens", attempts, retries, failover, stream
        case timeToFirstTokenMs = "ttft_ms", tier, routeReason = "route_reason", cache, cacheSavedPicoUSD = "cache_saved_picousd"
    }
}

/// One chunk of a streamed answer (`ce_type: llm.reply.delta.v1`), on the reply-to topic before
/// the final reply. `sequence` counts from 0 without gaps, so a caller can tell one was lost.
public struct ReplyDelta: Sendable, Codable, Equatable {
    public var requestID: String
    public var sequence: Int
    public var content: String
    public var model: String?

    enum CodingKeys: String, CodingKey { case requestID = "request_id", sequence, content, model }

    public init(requestID: String, sequence: Int, content: String, model: String?) {
        self.requestID = requestID
        self.sequence = sequence
        self.content = content
        self.model = model
    }
}
