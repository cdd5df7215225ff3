import Metrics

/// What the prompt cache does, per tier: hits, semantic hits, misses and bypasses, the cost
/// hits saved, Redis failures, requests that waited for an identical one (single flight), and
/// semantic matches the guards blocked.
enum CacheMetrics {
    static func lookup(tier: String, outcome: CacheInfo.Outcome) {
        Counter(label: "switchboard_cache_lookups_total", dimensions: [("tier", tier), ("outcome", outcome.rawValue)]).increment()
    }

    static func saved(tier: String, picoUSD: Int64) {
        Counter(label: "switchboard_cache_saved_picousd_total", dimensions: [("tier", tier)]).increment(by: Int(picoUSD))
    }

    static func redisFailure(operation: String) {
        Counter(label: "switchboard_cache_redis_failures_total", dimensions: [("operation", operation)]).increment()
    }

    /// `scope`: `process` (waited in memory) or `redis` (polled for another process's answer).
    static func waited(scope: String) {
        Counter(label: "switchboard_cache_single_flight_waits_total", dimensions: [("scope", scope)]).increment()
    }

    static func blocked(tier: String, guard block: PromptGuard.Block) {
        Counter(label: "switchboard_cache_semantic_blocked_total", dimensions: [("tier", tier), ("guard", block.rawValue)]).increment()
    }
}
