import Metrics
import Redis

/// Rate limits and budgets for the gateway, with the configured policy for when Redis cannot
/// answer: fail open (admit uncounted) or fail closed (reject with a short retry-after).
public struct AdmissionControl: Sendable {
    /// The Redis limiter.
    public let limiter: RateLimiter
    /// What to do when Redis cannot answer.
    public let policy: GatewaySettings.RedisFailurePolicy
    /// Counts and logs Redis failures.
    public let outage: RedisOutage

    public init(limiter: RateLimiter, policy: GatewaySettings.RedisFailurePolicy, outage: RedisOutage) {
        self.limiter = limiter
        self.policy = policy
        self.outage = outage
    }

    /// The gateway's limits on `redis`, as `config` sets them.
    public init(config: SwitchboardConfig, redis: RedisClient, outage: RedisOutage) {
        self.init(limiter: RateLimiter(redis: redis, prefix: config.redis.keyPrefix), policy: config.gateway.redisFailure, outage: outage)
    }

    /// nil when admitted; otherwise the error to reply with.
    public func admit(_ demand: RateLimiter.Demand) async -> ReplyError? {
        do {
            let rejection = try await limiter.admit(demand)
            if let rejection { GatewayMetrics.limited(code: rejection.code.rawValue) }
            return rejection
        } catch {
            outage.record(error, use: "limits", policy: policy.rawValue)
            switch policy {
            case .open: return nil
            case .closed: return ReplyError(.rateLimited, "limits cannot be checked right now; retry shortly", retryAfterMs: 1000)
            }
        }
    }
}

/// Gateway-specific metrics.
public enum GatewayMetrics {
    /// `switchboard_redis_unavailable_total{use}`: Redis calls that failed (keys, limits, settlement).
    public static func redisUnavailable(use: String) {
        Counter(label: "switchboard_redis_unavailable_total", dimensions: [("use", use)]).increment()
    }

    /// `switchboard_admission_rejected_total{code}`: requests a limit or budget turned away.
    public static func limited(code: String) {
        Counter(label: "switchboard_admission_rejected_total", dimensions: [("code", code)]).increment()
    }
}

/// A cheap, deterministic token estimate used at admission (before any tokenizer runs): a
/// quarter of the UTF-8 bytes, rounded up, plus 4 tokens of framing per message. The actual
/// count from the provider replaces it once the usage event arrives.
public enum TokenEstimate {
    public static func prompt(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + ($1.content.utf8.count + 3) / 4 + 4 }
    }

    /// Texts to embed: the same quarter of the bytes, plus the model's 2 framing tokens each.
    public static func texts(_ texts: [String]) -> Int {
        texts.reduce(0) { $0 + ($1.utf8.count + 3) / 4 + 2 }
    }
}
