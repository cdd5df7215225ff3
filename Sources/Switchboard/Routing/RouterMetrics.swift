import Metrics

/// The router's metrics: decisions by tier and reason, and the time a decision takes.
public enum RouterMetrics {
    /// `switchboard_router_decisions_total{tier,reason}`; refusals count with tier `none` and
    /// the error code as reason.
    public static func decision(tier: String, reason: String) {
        Counter(label: "switchboard_router_decisions_total", dimensions: [("tier", tier), ("reason", reason)]).increment()
    }

    /// `switchboard_router_duration_seconds`: features, rules and (when configured) the embedding.
    public static func latency(seconds: Double) {
        Timer(label: "switchboard_router_duration_seconds", preferredDisplayUnit: .seconds).recordSeconds(seconds)
    }
}
