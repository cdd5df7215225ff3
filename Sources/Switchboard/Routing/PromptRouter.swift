import Logging

/// Picks the model tier for a request, in the precedence `RoutingSettings` documents:
/// scope check of an explicit model, internal collections, the explicit model, hard rules,
/// semantic routes, the other rules, the default tier.
public struct PromptRouter: Sendable {
    public let settings: RoutingSettings
    public let rules: [RoutingRule]
    public let semantic: SemanticRoutes?
    let catalog: ModelCatalog
    let countTokens: @Sendable (String) -> Int
    let logger: Logger

    /// - Parameters:
    ///   - semantic: the embedded routes; nil skips semantic routing.
    ///   - countTokens: the prompt-length measure rules compare against.
    public init(settings: RoutingSettings, catalog: ModelCatalog, semantic: SemanticRoutes?,
                countTokens: @escaping @Sendable (String) -> Int, logger: Logger) throws(ConfigError) {
        self.settings = settings
        var rules: [RoutingRule] = []
        for (index, rule) in settings.rules.enumerated() { rules.append(try RoutingRule(rule, key: "routing.rules[\(index)]")) }
        self.rules = rules
        self.semantic = semantic
        self.catalog = catalog
        self.countTokens = countTokens
        self.logger = logger
    }

    /// The route of `request` from `tenant`, or the error reply when the caller may not have it.
    /// - Parameter allowedModels: catalog models the key's scope allows; nil: every model.
    public func decide(_ request: ChatRequest, tenant: String, allowedModels: Set<String>?) async -> Result<RouteDecision, ReplyError> {
        let features = PromptFeatures(tenant: tenant, request: request, countTokens: countTokens)
        func allowed(_ model: String) -> Bool { allowedModels?.contains(model) ?? true }

        var explicit: ModelConfig?
        if let requested = request.model, !requested.isEmpty, requested != "auto" {
            guard let model = catalog.resolve(requested) else {
                return .failure(ReplyError(.unknownModel, "model '\(requested.prefix(200))' is not in the catalog (known: \(catalog.names.joined(separator: ", ")))"))
            }
            guard allowed(model.name) else {
                return .failure(ReplyError(.forbidden, "model '\(requested.prefix(200))' is not allowed for this key (allowed: \((allowedModels ?? []).sorted().joined(separator: ", ")))"))
            }
            explicit = model
        }
        if let collection = features.collection, settings.collections[collection]?.sensitivity == .internal {
            // Internal documents never reach an external provider, whatever the caller asked for.
            guard let tier = settings.resolvedLocalTier, let decision = decision(tier: tier, reason: "sensitivity:\(collection)"),
                  allowed(decision.model) else {
                return .failure(ReplyError(.forbidden, "collection '\(collection.prefix(128))' is internal and may only be answered by the local tier, which this key may not use"))
            }
            return .success(decision)
        }
        if let explicit {
            let tier = settings.tiers.filter { $0.value.model == explicit.name || explicit.aliases.contains($0.value.model) }.keys.sorted().first
            return .success(RouteDecision(tier: tier ?? explicit.name, model: explicit.name, reason: "explicit",
                                          localOnly: tier.flatMap { settings.tiers[$0]?.local } ?? false))
        }
        for rule in rules where rule.config.hard && rule.matches(features) {
            if let decision = decision(tier: rule.tier, reason: "rule:\(rule.name)"), allowed(decision.model) { return .success(decision) }
        }
        if let semantic {
            do {
                if let match = try await semantic.nearest(features.lastUserTurn), match.score >= semantic.threshold,
                   let decision = decision(tier: match.tier, reason: "semantic:\(match.route)"), allowed(decision.model) {
                    return .success(decision)
                }
            } catch {
                // Routing degrades to the rules rather than failing the request.
                logger.warning("semantic routing failed; using the rules", metadata: ["error": "\(error)"])
            }
        }
        for rule in rules where !rule.config.hard && rule.matches(features) {
            if let decision = decision(tier: rule.tier, reason: "rule:\(rule.name)"), allowed(decision.model) { return .success(decision) }
        }
        if let decision = decision(tier: settings.defaultTier, reason: "default"), allowed(decision.model) {
            return .success(decision)
        }
        return .failure(ReplyError(.forbidden, "no model tier this key may use fits the request (allowed: \((allowedModels ?? []).sorted().joined(separator: ", ")))"))
    }

    /// The decision for `tier`, with the tier's model resolved to its catalog name.
    func decision(tier name: String, reason: String) -> RouteDecision? {
        guard let tier = settings.tiers[name], let model = catalog.resolve(tier.model) else { return nil }
        return RouteDecision(tier: name, model: model.name, reason: reason, localOnly: tier.local)
    }
}
