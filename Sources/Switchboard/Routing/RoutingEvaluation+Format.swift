import Foundation

extension RoutingEvaluation {
    /// The report `switchboard eval routing` prints.
    public func formatted(showMisses: Int = 20) -> String {
        var lines: [String] = []
        lines.append(String(format: "prompts %d, correct %d, accuracy %.1f%%", total, correct, accuracy * 100))
        lines.append("decided by: " + reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let columns = tiers + (confusion.values.contains { $0["error"] != nil } ? ["error"] : [])
        let width = max(9, (columns + ["expected"]).map(\.count).max() ?? 9) + 2
        func pad(_ text: String) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        lines.append("")
        lines.append("confusion matrix (rows: expected tier, columns: routed tier)")
        lines.append(pad("expected") + columns.map(pad).joined() + "recall")
        for expected in tiers where confusion[expected] != nil {
            let row = confusion[expected] ?? [:]
            let count = row.values.reduce(0, +)
            let recall = count == 0 ? 0 : Double(row[expected] ?? 0) / Double(count) * 100
            lines.append(pad(expected) + columns.map { pad(String(row[$0] ?? 0)) }.joined() + String(format: "%.1f%%", recall))
        }
        lines.append("")
        let routed = Double(routedCostPicoUSD) / 1e12, all = Double(largestCostPicoUSD) / 1e12
        lines.append("cost, \(inputTokens) prompt tokens (WordPiece count) and \(outputTokens) output tokens assumed per request:")
        lines.append(String(format: "  routed choices          $%.6f", routed))
        lines.append(String(format: "  everything to %@  $%.6f", largestTier.padding(toLength: 9, withPad: " ", startingAt: 0), all))
        if all > 0 { lines.append(String(format: "  routed / largest        %.1f%% (%.1f%% saved)", routed / all * 100, (1 - routed / all) * 100)) }
        if !misses.isEmpty && showMisses > 0 {
            lines.append("")
            lines.append("misrouted (first \(min(showMisses, misses.count)) of \(misses.count)):")
            for miss in misses.prefix(showMisses) {
                lines.append("  line \(miss.line): expected \(miss.expected), routed \(miss.routed) (\(miss.reason))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
