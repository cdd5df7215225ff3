import Foundation

extension UsageReport {
    /// Output formats of `switchboard usage report`.
    public enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    static let columns = ["requests", "failures", "input_tokens", "output_tokens", "cost_usd", "p50_ms", "p95_ms", "cache_hit_rate"]

    private func cells(_ row: Row) -> [String] {
        [String(row.requests), String(row.failures), String(row.inputTokens), String(row.outputTokens),
         Money.usdString(picoUSD: row.costPicoUSD), String(format: "%.1f", row.latencyPercentile(50)),
         String(format: "%.1f", row.latencyPercentile(95)), String(format: "%.3f", row.cacheHitRate)]
    }

    /// The report as text in `format`.
    public func render(_ format: Format) -> String {
        let header = dimensions.map(\.rawValue) + Self.columns
        let body = sortedRows.map { $0.key + cells($0) }
        switch format {
        case .csv:
            return ([header] + body).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .json:
            let objects = sortedRows.map { row -> [String: Any] in
                var object: [String: Any] = [:]
                for (dimension, value) in zip(dimensions, row.key) { object[dimension.rawValue] = value }
                object["requests"] = row.requests
                object["failures"] = row.failures
                object["input_tokens"] = row.inputTokens
                object["output_tokens"] = row.outputTokens
                object["cached_input_tokens"] = row.cachedInputTokens
                object["cost_picousd"] = row.costPicoUSD
                object["cost_usd"] = Money.usdString(picoUSD: row.costPicoUSD)
                object["p50_ms"] = row.latencyPercentile(50)
                object["p95_ms"] = row.latencyPercentile(95)
                object["cache_hit_rate"] = row.cacheHitRate
                return object
            }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        case .table:
            let all = [header] + body
            let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
            return all.map { row in
                row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
