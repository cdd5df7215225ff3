import Metrics

/// The metrics every stage emits, created once per stage so the hot path only increments.
/// Names follow Prometheus conventions; `/metrics` on each process exports them.
public struct StageMetrics: Sendable {
    public let consumed: Counter
    public let deadLettered: Counter
    public let produceFailures: Counter
    public let duration: Timer
    public let inFlight: Gauge
    let stage: String

    public init(stage: String) {
        self.stage = stage
        consumed = Counter(label: "switchboard_records_consumed_total", dimensions: [("stage", stage)])
        deadLettered = Counter(label: "switchboard_dead_letters_total", dimensions: [("stage", stage)])
        produceFailures = Counter(label: "switchboard_produce_failures_total", dimensions: [("stage", stage)])
        duration = Timer(label: "switchboard_stage_duration_seconds", dimensions: [("stage", stage)], preferredDisplayUnit: .seconds)
        inFlight = Gauge(label: "switchboard_records_in_flight", dimensions: [("stage", stage)])
    }

    /// Counts a record produced to `topic`.
    public func produced(topic: String) {
        Counter(label: "switchboard_records_produced_total", dimensions: [("stage", stage), ("topic", topic)]).increment()
    }

    /// Counts a reply by status and error code.
    public static func reply(stage: String, status: String, code: String?) {
        Counter(label: "switchboard_replies_total", dimensions: [("stage", stage), ("status", status), ("code", code ?? "")]).increment()
    }
}

/// Provider-side metrics: latency, tokens and cost per provider and model.
public enum ProviderMetrics {
    public static func record(provider: String, model: String, seconds: Double, outcome: String) {
        Timer(label: "switchboard_provider_duration_seconds", dimensions: [("provider", provider), ("model", model), ("outcome", outcome)], preferredDisplayUnit: .seconds)
            .recordSeconds(seconds)
    }

    public static func usage(tenant: String, model: String, inputTokens: Int, outputTokens: Int, costPicoUSD: Int64) {
        Counter(label: "switchboard_tokens_total", dimensions: [("model", model), ("direction", "input")]).increment(by: inputTokens)
        Counter(label: "switchboard_tokens_total", dimensions: [("model", model), ("direction", "output")]).increment(by: outputTokens)
        Counter(label: "switchboard_cost_picousd_total", dimensions: [("model", model), ("tenant", tenant)]).increment(by: Int(costPicoUSD))
    }
}
