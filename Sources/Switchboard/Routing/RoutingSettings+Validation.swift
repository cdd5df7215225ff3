extension RoutingSettings {
    /// Checks that every tier names a catalog model, every rule and route a tier, that local
    /// tiers have local deployments, and that internal collections have a local tier to go to.
    func validate(models: [ModelConfig], fail: (String, String) -> ConfigError) throws(ConfigError) {
        let catalog = ModelCatalog(models: models, defaultModel: models.first?.name ?? "")
        let known = tiers.keys.sorted().joined(separator: ", ")
        for name in tiers.keys.sorted() {
            guard let tier = tiers[name] else { continue }
            guard let model = catalog.resolve(tier.model) else {
                throw fail("routing.tiers.\(name).model", "'\(tier.model)' is not a configured model or alias")
            }
            if tier.local && !model.deployments.contains(where: \.local) {
                throw fail("routing.tiers.\(name).local", "model '\(model.name)' has no deployment marked local: true")
            }
        }
        if tiers[defaultTier] == nil { throw fail("routing.default_tier", "'\(defaultTier)' is not a tier (known: \(known))") }
        for (index, rule) in rules.enumerated() {
            if tiers[rule.tier] == nil { throw fail("routing.rules[\(index)].tier", "'\(rule.tier)' is not a tier (known: \(known))") }
            _ = try RoutingRule(rule, key: "routing.rules[\(index)]")
        }
        if let semantic {
            if !(0...1).contains(semantic.threshold) { throw fail("routing.semantic.threshold", "must be between 0 and 1") }
            for (index, route) in semantic.routes.enumerated() {
                if tiers[route.tier] == nil { throw fail("routing.semantic.routes[\(index)].tier", "'\(route.tier)' is not a tier (known: \(known))") }
                if route.examples.isEmpty { throw fail("routing.semantic.routes[\(index)].examples", "must list at least one example") }
            }
        }
        if let localTier, tiers[localTier]?.local != true {
            throw fail("routing.local_tier", "'\(localTier)' is not a tier marked local: true")
        }
        if collections.values.contains(where: { $0.sensitivity == .internal }) && resolvedLocalTier == nil {
            throw fail("routing.local_tier", "internal collections need a local tier: mark one tier local: true (or name it here)")
        }
    }
}
