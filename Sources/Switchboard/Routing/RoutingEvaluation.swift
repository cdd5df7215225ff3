import Foundation

/// One line of a labelled routing set (JSON lines): a prompt and the tier it should get,
/// optionally with the request context rules look at.
public struct LabelledPrompt: Sendable, Decodable {
    public var prompt: String
    public var tier: String
    public var tenant: String?
    public var metadata: [String: String]?
    public var collection: String?
    public var model: String?

    /// The request the router sees for this line.
    public var request: ChatRequest {
        ChatRequest(model: model, messages: [ChatMessage(role: "user", content: prompt)], metadata: metadata,
                    retrieval: collection.map { RetrievalRequest(collection: $0) })
    }
}

/// Routes a labelled set and scores the result: accuracy, the confusion matrix, and what the
/// routed choices cost against sending every prompt to the most expensive tier.
public struct RoutingEvaluation: Sendable {
    public var tiers: [String]
    /// expected tier → routed tier → count.
    public var confusion: [String: [String: Int]]
    public var total: Int
    public var correct: Int
    public var reasons: [String: Int]
    public var routedCostPicoUSD: Int64
    public var largestTier: String
    public var largestCostPicoUSD: Int64
    public var outputTokens: Int
    public var inputTokens: Int
    /// Prompts routed to the wrong tier: (line, expected, routed, reason).
    public var misses: [(line: Int, expected: String, routed: String, reason: String)]

    /// Reads a JSON-lines set; blank lines and lines starting with `#` are skipped.
    public static func load(path: String) throws -> [LabelledPrompt] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StartupError("cannot read \(path)") }
        var prompts: [LabelledPrompt] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            do {
                prompts.append(try JSONDecoder().decode(LabelledPrompt.self, from: Data(text.utf8)))
            } catch {
                throw StartupError("\(path):\(index + 1): not a labelled prompt ({\"prompt\": ..., \"tier\": ...}): \(error)")
            }
        }
        return prompts
    }

    /// Routes every prompt of `set` with `router`; each call costs its prompt's tokens (the
    /// router's count) plus `outputTokens` assumed output tokens at the tier model's prices.
    public static func run(_ set: [LabelledPrompt], router: PromptRouter, catalog: ModelCatalog, outputTokens: Int) async -> RoutingEvaluation {
        let tiers = router.settings.tiers
        let priced = tiers.compactMap { name, tier in catalog.resolve(tier.model).map { (name, $0) } }
        // The largest tier: the highest output price, then input price.
        let largest = priced.max { ($0.1.outputPrice.picoUSDPerToken, $0.1.inputPrice.picoUSDPerToken, $1.0)
                                    < ($1.1.outputPrice.picoUSDPerToken, $1.1.inputPrice.picoUSDPerToken, $0.0) }
        var result = RoutingEvaluation(tiers: tiers.keys.sorted(), confusion: [:], total: 0, correct: 0, reasons: [:], routedCostPicoUSD: 0,
                                       largestTier: largest?.0 ?? "", largestCostPicoUSD: 0, outputTokens: outputTokens, inputTokens: 0, misses: [])
        for (index, item) in set.enumerated() {
            let outcome = await router.decide(item.request, tenant: item.tenant ?? "eval", allowedModels: nil)
            let routed: String, reason: String, model: ModelConfig?
            switch outcome {
            case .success(let decision): (routed, reason, model) = (decision.tier, decision.reason, catalog.resolve(decision.model))
            case .failure(let error): (routed, reason, model) = ("error", error.code.rawValue, nil)
            }
            let input = item.request.messages.reduce(0) { $0 + router.countTokens($1.content) }
            result.total += 1
            result.inputTokens += input
            result.confusion[item.tier, default: [:]][routed, default: 0] += 1
            result.reasons[reason.split(separator: ":").first.map(String.init) ?? reason, default: 0] += 1
            if routed == item.tier { result.correct += 1 } else { result.misses.append((index + 1, item.tier, routed, reason)) }
            if let model { result.routedCostPicoUSD += ModelCatalog.cost(model, inputTokens: input, outputTokens: outputTokens) }
            if let largest { result.largestCostPicoUSD += ModelCatalog.cost(largest.1, inputTokens: input, outputTokens: outputTokens) }
        }
        return result
    }

    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
