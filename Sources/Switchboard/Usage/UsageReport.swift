import Foundation

/// Aggregates usage events into groups (by tenant, model and/or day): requests, failures,
/// tokens, exact cost, latency percentiles and the share of prompt tokens served from the
/// provider's cache. A request id is counted once, so re-emitted events do not double-bill.
public struct UsageReport: Sendable {
    /// What a row is grouped by.
    public enum Dimension: String, Sendable, CaseIterable {
        case tenant, model, day
    }

    /// One group's figures.
    public struct Row: Sendable, Equatable {
        public var key: [String]
        public var requests = 0
        public var failures = 0
        public var inputTokens = 0
        public var outputTokens = 0
        public var cachedInputTokens = 0
        public var costPicoUSD: Int64 = 0
        var latencies: [Double] = []

        public func latencyPercentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }

        /// Cached prompt tokens over all prompt tokens.
        public var cacheHitRate: Double { inputTokens == 0 ? 0 : Double(cachedInputTokens) / Double(inputTokens) }
    }

    public let dimensions: [Dimension]
    public let sinceMs: Int64?
    public private(set) var rows: [[String]: Row] = [:]
    private var seen = Set<String>()

    public init(dimensions: [Dimension], sinceMs: Int64? = nil) {
        self.dimensions = dimensions
        self.sinceMs = sinceMs
    }

    /// Counts one event; returns false when it was skipped (too old, or a repeat).
    @discardableResult
    public mutating func add(_ event: UsageEvent) -> Bool {
        if let sinceMs, event.timestampMs < sinceMs { return false }
        guard seen.insert(event.stage + "/" + event.requestID).inserted else { return false }
        let key = dimensions.map { dimension -> String in
            switch dimension {
            case .tenant: event.tenant ?? "-"
            case .model: event.model ?? "-"
            case .day: Self.day(event.timestampMs)
            }
        }
        var row = rows[key] ?? Row(key: key)
        row.requests += 1
        if event.status == .error { row.failures += 1 }
        row.inputTokens += event.inputTokens
        row.outputTokens += event.outputTokens
        row.cachedInputTokens += event.cachedInputTokens ?? 0
        row.costPicoUSD += event.costPicoUSD
        row.latencies.append(event.latencyMs)
        rows[key] = row
        return true
    }

    static func day(_ ms: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        return date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }

    /// The rows in key order.
    public var sortedRows: [Row] { rows.values.sorted { $0.key.lexicographicallyPrecedes($1.key) } }
}
