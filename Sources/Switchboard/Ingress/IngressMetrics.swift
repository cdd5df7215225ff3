import Metrics

/// Metrics of the HTTP ingress.
enum IngressMetrics {
    /// `switchboard_http_responses_total{route,status}`.
    static func response(route: String, status: Int) {
        Counter(label: "switchboard_http_responses_total", dimensions: [("route", route), ("status", String(status))]).increment()
    }

    /// `switchboard_http_pipeline_seconds`: from the request's arrival to its reply.
    static func duration(since start: ContinuousClock.Instant) {
        Timer(label: "switchboard_http_pipeline_seconds", preferredDisplayUnit: .seconds).recordInterval(since: start)
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        record(duration: ContinuousClock.now - start)
    }
}
