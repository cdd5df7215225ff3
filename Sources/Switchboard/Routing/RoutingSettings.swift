/// The `routing` section: model tiers, the rules and semantic routes that pick one for each
/// request, and the sensitivity of retrieval collections. Absent, the router forwards requests
/// unchanged (the caller's model or the catalog's default).
///
/// Precedence, first match wins (the same order `PromptRouter` applies):
/// 1. an explicit model outside the key's scope is refused (`forbidden`), never rerouted;
/// 2. a retrieval collection marked `internal` forces the local tier (`sensitivity:<collection>`),
///    over everything else, an explicit model included;
/// 3. an explicit model the scope allows (`explicit`);
/// 4. rules marked `hard`, in order (`rule:<name>`);
/// 5. the nearest semantic route at or above the threshold (`semantic:<route>`);
/// 6. the remaining rules, in order (`rule:<name>`);
/// 7. the default tier (`default`).
/// A tier whose model the key may not use is skipped in steps 4 to 7.
public struct RoutingSettings: Sendable, Decodable {
    /// Tier name → tier.
    public var tiers: [String: TierConfig]
    public var defaultTier: String
    /// The tier internal collections are forced to; default: the only tier marked `local`.
    public var localTier: String?
    public var rules: [RoutingRuleConfig]
    public var semantic: SemanticRoutingConfig?
    /// Retrieval collection → sensitivity; unlisted collections are `public`.
    public var collections: [String: CollectionPolicy]

    enum CodingKeys: String, CodingKey {
        case tiers, defaultTier = "default_tier", localTier = "local_tier", rules, semantic, collections
    }

    public init(tiers: [String: TierConfig], defaultTier: String, localTier: String? = nil, rules: [RoutingRuleConfig] = [],
                semantic: SemanticRoutingConfig? = nil, collections: [String: CollectionPolicy] = [:]) {
        self.tiers = tiers
        self.defaultTier = defaultTier
        self.localTier = localTier
        self.rules = rules
        self.semantic = semantic
        self.collections = collections
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tiers = try c.decode([String: TierConfig].self, forKey: .tiers)
        defaultTier = try c.decode(String.self, forKey: .defaultTier)
        localTier = try c.decodeIfPresent(String.self, forKey: .localTier)
        rules = try c.decodeIfPresent([RoutingRuleConfig].self, forKey: .rules) ?? []
        semantic = try c.decodeIfPresent(SemanticRoutingConfig.self, forKey: .semantic)
        collections = try c.decodeIfPresent([String: CollectionPolicy].self, forKey: .collections) ?? [:]
    }

    /// The tier internal collections go to: `local_tier`, else the single tier marked local.
    public var resolvedLocalTier: String? {
        localTier ?? { let local = tiers.filter(\.value.local).keys.sorted(); return local.count == 1 ? local[0] : nil }()
    }
}

/// A model tier: a catalog model, and whether only its local deployments may serve it.
public struct TierConfig: Sendable, Decodable {
    public var model: String
    /// Only deployments marked `local: true` serve this tier, also on failover.
    public var local: Bool

    public init(model: String, local: Bool = false) {
        self.model = model
        self.local = local
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        local = try c.decodeIfPresent(Bool.self, forKey: .local) ?? false
    }

    enum CodingKeys: String, CodingKey { case model, local }
}

/// How sensitive a retrieval collection's documents are.
public struct CollectionPolicy: Sendable, Decodable {
    public enum Sensitivity: String, Sendable, Decodable {
        /// Never leaves the local tier.
        case `internal`
        case `public`
    }

    public var sensitivity: Sensitivity

    public init(sensitivity: Sensitivity) { self.sensitivity = sensitivity }
}

/// One ordered rule: every condition given must hold (a list holds when any entry matches).
public struct RoutingRuleConfig: Sendable, Decodable {
    public var name: String
    public var tier: String
    /// Hard rules are applied before semantic routing, the others after it.
    public var hard: Bool
    /// The caller's task hint, `metadata.task`.
    public var task: [String]?
    /// Metadata entries that must all be equal.
    public var metadata: [String: String]?
    public var tenants: [String]?
    /// Case-insensitive words or phrases in the last user turn (matched on word boundaries).
    public var keywords: [String]?
    /// Regular expressions searched in the last user turn.
    public var patterns: [String]?
    /// Prompt length in tokens (all messages), inclusive bounds.
    public var minTokens: Int?
    public var maxTokens: Int?
    /// Whether the last user turn contains source code.
    public var code: Bool?
    /// The request's retrieval collection.
    public var collections: [String]?

    enum CodingKeys: String, CodingKey {
        case name, tier, hard, task, metadata, tenants, keywords, patterns
        case minTokens = "min_tokens", maxTokens = "max_tokens", code, collections
    }

    public init(name: String, tier: String, hard: Bool = false, task: [String]? = nil, metadata: [String: String]? = nil,
                tenants: [String]? = nil, keywords: [String]? = nil, patterns: [String]? = nil, minTokens: Int? = nil,
                maxTokens: Int? = nil, code: Bool? = nil, collections: [String]? = nil) {
        self.name = name
        self.tier = tier
        self.hard = hard
        self.task = task
        self.metadata = metadata
        self.tenants = tenants
        self.keywords = keywords
        self.patterns = patterns
        self.minTokens = minTokens
        self.maxTokens = maxTokens
        self.code = code
        self.collections = collections
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        tier = try c.decode(String.self, forKey: .tier)
        hard = try c.decodeIfPresent(Bool.self, forKey: .hard) ?? false
        task = try c.decodeIfPresent([String].self, forKey: .task)
        metadata = try c.decodeIfPresent([String: String].self, forKey: .metadata)
        tenants = try c.decodeIfPresent([String].self, forKey: .tenants)
        keywords = try c.decodeIfPresent([String].self, forKey: .keywords)
        patterns = try c.decodeIfPresent([String].self, forKey: .patterns)
        minTokens = try c.decodeIfPresent(Int.self, forKey: .minTokens)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        code = try c.decodeIfPresent(Bool.self, forKey: .code)
        collections = try c.decodeIfPresent([String].self, forKey: .collections)
    }
}

/// Routes described by example utterances, matched by embedding similarity.
public struct SemanticRoutingConfig: Sendable, Decodable {
    /// Cosine similarity the best route must reach.
    public var threshold: Double
    /// A route's score is the mean similarity of its `top_k` nearest examples, so one stray
    /// example cannot capture a prompt alone.
    public var topK: Int
    public var routes: [SemanticRouteConfig]

    enum CodingKeys: String, CodingKey { case threshold, topK = "top_k", routes }

    public init(threshold: Double, topK: Int = 1, routes: [SemanticRouteConfig]) {
        self.threshold = threshold
        self.topK = topK
        self.routes = routes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0.5
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? 1
        routes = try c.decodeIfPresent([SemanticRouteConfig].self, forKey: .routes) ?? []
    }
}

/// One semantic route: a name, the tier it selects, and example utterances.
public struct SemanticRouteConfig: Sendable, Decodable {
    public var name: String
    public var tier: String
    public var examples: [String]

    public init(name: String, tier: String, examples: [String]) {
        self.name = name
        self.tier = tier
        self.examples = examples
    }
}
