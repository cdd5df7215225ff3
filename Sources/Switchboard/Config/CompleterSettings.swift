/// How the completer works through its partitions, retries, fails over and deduplicates.
public struct CompleterSettings: Sendable, Decodable {
    /// Records of one partition in flight at once before the partition is paused.
    public var window = 1000
    /// Records in flight across all partitions of the process.
    public var maxInFlight = 4000
    public var retry = RetrySettings()
    public var circuitBreaker = CircuitBreakerSettings()
    public var idempotency = IdempotencySettings()
    /// The overall deadline of a request that carries no `ce_deadline`, in ms.
    public var defaultDeadlineMs = 120_000

    enum CodingKeys: String, CodingKey {
        case window, maxInFlight = "max_in_flight", retry, circuitBreaker = "circuit_breaker", idempotency
        case defaultDeadlineMs = "default_deadline_ms"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? window
        maxInFlight = try c.decodeIfPresent(Int.self, forKey: .maxInFlight) ?? maxInFlight
        retry = try c.decodeIfPresent(RetrySettings.self, forKey: .retry) ?? retry
        circuitBreaker = try c.decodeIfPresent(CircuitBreakerSettings.self, forKey: .circuitBreaker) ?? circuitBreaker
        idempotency = try c.decodeIfPresent(IdempotencySettings.self, forKey: .idempotency) ?? idempotency
        defaultDeadlineMs = try c.decodeIfPresent(Int.self, forKey: .defaultDeadlineMs) ?? defaultDeadlineMs
    }
}

/// Retries of retriable provider errors: exponential backoff with full jitter.
public struct RetrySettings: Sendable, Decodable {
    /// Attempts per request across all deployments, the first included.
    public var maxAttempts = 4
    public var baseDelayMs = 200
    public var maxDelayMs = 5_000
    /// A `Retry-After` up to this long is waited for; a longer one makes the deployment cool
    /// down and the request go elsewhere or fail with the provider's retry-after.
    public var maxRetryAfterMs = 10_000
    /// Time limit of one attempt; nil means the provider's `timeout_ms`.
    public var attemptTimeoutMs: Int?

    enum CodingKeys: String, CodingKey {
        case maxAttempts = "max_attempts", baseDelayMs = "base_delay_ms", maxDelayMs = "max_delay_ms"
        case maxRetryAfterMs = "max_retry_after_ms", attemptTimeoutMs = "attempt_timeout_ms"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
        baseDelayMs = try c.decodeIfPresent(Int.self, forKey: .baseDelayMs) ?? baseDelayMs
        maxDelayMs = try c.decodeIfPresent(Int.self, forKey: .maxDelayMs) ?? maxDelayMs
        maxRetryAfterMs = try c.decodeIfPresent(Int.self, forKey: .maxRetryAfterMs) ?? maxRetryAfterMs
        attemptTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .attemptTimeoutMs)
    }
}

/// A circuit per deployment: opens after consecutive failures, probes before closing.
public struct CircuitBreakerSettings: Sendable, Decodable {
    public var failureThreshold = 5
    /// How long an open circuit refuses calls before it lets one probe through.
    public var openMs = 5_000

    enum CodingKeys: String, CodingKey { case failureThreshold = "failure_threshold", openMs = "open_ms" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        failureThreshold = try c.decodeIfPresent(Int.self, forKey: .failureThreshold) ?? failureThreshold
        openMs = try c.decodeIfPresent(Int.self, forKey: .openMs) ?? openMs
    }
}

/// The request id as an idempotency key in Redis.
public struct IdempotencySettings: Sendable, Decodable {
    public var enabled = true
    /// Lifetime of the "in flight" marker; a crashed process's marker expires after this, so
    /// the request is answered by whoever gets it next. Longer than any request may take.
    public var inFlightTTLMs = 180_000
    /// How long a produced reply is kept for redeliveries.
    public var replyTTLMs = 86_400_000
    /// How often a redelivered request polls while another process is answering it.
    public var pollMs = 100
    public var keyPrefix = "sb:req:"

    enum CodingKeys: String, CodingKey {
        case enabled, inFlightTTLMs = "in_flight_ttl_ms", replyTTLMs = "reply_ttl_ms", pollMs = "poll_ms", keyPrefix = "key_prefix"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        inFlightTTLMs = try c.decodeIfPresent(Int.self, forKey: .inFlightTTLMs) ?? inFlightTTLMs
        replyTTLMs = try c.decodeIfPresent(Int.self, forKey: .replyTTLMs) ?? replyTTLMs
        pollMs = try c.decodeIfPresent(Int.self, forKey: .pollMs) ?? pollMs
        keyPrefix = try c.decodeIfPresent(String.self, forKey: .keyPrefix) ?? keyPrefix
    }
}
