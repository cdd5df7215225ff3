import Foundation

/// A routing rule ready to match: its config with the keywords and patterns compiled.
public struct RoutingRule: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable once built and documented as safe to use
    // from several threads; nothing else here is mutable.
    public let config: RoutingRuleConfig
    private let keywords: NSRegularExpression?
    private let patterns: [NSRegularExpression]

    /// Compiles `config`; a bad pattern is a config error naming the rule.
    public init(_ config: RoutingRuleConfig, key: String) throws(ConfigError) {
        self.config = config
        if let words = config.keywords, !words.isEmpty {
            let alternatives = words.map { NSRegularExpression.escapedPattern(for: $0.lowercased()) }.joined(separator: "|")
            // Word boundaries: "api" must not match "capital".
            guard let regex = try? NSRegularExpression(pattern: "\\b(?:\(alternatives))\\b", options: [.caseInsensitive]) else {
                throw ConfigError(key: "\(key).keywords", message: "the keywords could not be compiled")
            }
            keywords = regex
        } else {
            keywords = nil
        }
        var compiled: [NSRegularExpression] = []
        for (index, pattern) in (config.patterns ?? []).enumerated() {
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else {
                throw ConfigError(key: "\(key).patterns[\(index)]", message: "'\(pattern)' is not a valid regular expression")
            }
            compiled.append(regex)
        }
        patterns = compiled
    }

    public var name: String { config.name }
    public var tier: String { config.tier }

    /// Whether every condition the rule sets holds for `features`.
    public func matches(_ features: PromptFeatures) -> Bool {
        let c = config
        if let tasks = c.task, !(features.task.map(tasks.contains) ?? false) { return false }
        if let wanted = c.metadata, !wanted.allSatisfy({ features.metadata[$0.key] == $0.value }) { return false }
        if let tenants = c.tenants, !tenants.contains(features.tenant) { return false }
        if let collections = c.collections, !(features.collection.map(collections.contains) ?? false) { return false }
        if let min = c.minTokens, features.tokens < min { return false }
        if let max = c.maxTokens, features.tokens > max { return false }
        if let code = c.code, features.hasCode != code { return false }
        let text = features.lastUserTurn
        let range = NSRange(text.startIndex..., in: text)
        if let keywords, keywords.firstMatch(in: text, range: range) == nil { return false }
        if !patterns.isEmpty, !patterns.contains(where: { $0.firstMatch(in: text, range: range) != nil }) { return false }
        return true
    }
}
