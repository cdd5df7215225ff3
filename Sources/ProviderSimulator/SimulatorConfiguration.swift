/// Everything a ``ProviderSimulator`` does, as plain data that can be decoded from JSON or YAML.
///
/// Every field has a default, and decoding fills in the default for any key that is absent, so
/// a configuration file only names what it changes. The defaults give instant, fault-free,
/// unauthenticated answers on a free loopback port.
public struct SimulatorConfiguration: Sendable, Codable, Equatable {
    /// The address to bind. Default `127.0.0.1`.
    public var host: String
    /// The port to bind. Default 0: any free port, reported by ``ProviderSimulator/boundPort``.
    public var port: Int
    /// The listen backlog. Default 2048, so a burst of thousands of new connections is
    /// queued rather than retried by the clients' kernels.
    public var backlog: Int
    /// The API key clients must present (`Authorization: Bearer` for OpenAI routes,
    /// `x-api-key` for Anthropic routes). Default `nil`: any key is accepted. The Anthropic
    /// route still requires some `x-api-key`, as the real API does.
    public var apiKey: String?
    /// The seed of the generator that decides faults and latencies. Default 1. The same seed
    /// and the same sequence of requests give the same outcomes; `POST /_sim/reset` re-seeds.
    public var seed: UInt64
    /// The dimension of embedding vectors when the request does not set `dimensions`.
    /// Default 1536.
    public var embeddingDimension: Int
    /// The fewest completion tokens in an answer not cut by `max_tokens`. Default 16.
    public var minCompletionTokens: Int
    /// The most completion tokens in an answer not cut by `max_tokens`. Default 48.
    public var maxCompletionTokens: Int
    /// The models `GET /v1/models` lists. Requests may name any model.
    public var models: [String]
    /// The largest request body accepted. Default 16 MiB.
    public var maxRequestBodySize: Int
    /// How many distinct `x-request-id` values the statistics count before ignoring new ones,
    /// so a long load test cannot grow memory without bound. Default 100 000.
    public var requestIdLimit: Int
    /// Behaviour of every route that has no entry in ``routes``. Default: no faults, no latency.
    public var defaultBehaviour: RouteBehaviour
    /// Per-route behaviour, keyed by route name: `chat.completions`, `embeddings`, `models`,
    /// `messages`. Default empty.
    public var routes: [String: RouteBehaviour]

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        backlog: Int = 2048,
        apiKey: String? = nil,
        seed: UInt64 = 1,
        embeddingDimension: Int = 1536,
        minCompletionTokens: Int = 16,
        maxCompletionTokens: Int = 48,
        models: [String] = SimulatorConfiguration.defaultModels,
        maxRequestBodySize: Int = 16 << 20,
        requestIdLimit: Int = 100_000,
        defaultBehaviour: RouteBehaviour = RouteBehaviour(),
        routes: [String: RouteBehaviour] = [:]
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.apiKey = apiKey
        self.seed = seed
        self.embeddingDimension = embeddingDimension
        self.minCompletionTokens = minCompletionTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.models = models
        self.maxRequestBodySize = maxRequestBodySize
        self.requestIdLimit = requestIdLimit
        self.defaultBehaviour = defaultBehaviour
        self.routes = routes
    }

    /// The models listed when the configuration names none.
    public static let defaultModels = [
        "gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "claude-sonnet-4-5", "claude-haiku-4-5",
    ]

    /// The behaviour of one route: its own entry, or the default.
    public func behaviour(for route: SimulatedRoute) -> RouteBehaviour {
        routes[route.rawValue] ?? defaultBehaviour
    }

    /// Decodes a configuration, taking the default for every absent key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SimulatorConfiguration()
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        backlog = try c.decodeIfPresent(Int.self, forKey: .backlog) ?? d.backlog
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        embeddingDimension = try c.decodeIfPresent(Int.self, forKey: .embeddingDimension) ?? d.embeddingDimension
        minCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .minCompletionTokens) ?? d.minCompletionTokens
        maxCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens) ?? d.maxCompletionTokens
        models = try c.decodeIfPresent([String].self, forKey: .models) ?? d.models
        maxRequestBodySize = try c.decodeIfPresent(Int.self, forKey: .maxRequestBodySize) ?? d.maxRequestBodySize
        requestIdLimit = try c.decodeIfPresent(Int.self, forKey: .requestIdLimit) ?? d.requestIdLimit
        defaultBehaviour = try c.decodeIfPresent(RouteBehaviour.self, forKey: .defaultBehaviour) ?? d.defaultBehaviour
        routes = try c.decodeIfPresent([String: RouteBehaviour].self, forKey: .routes) ?? d.routes
    }

    /// Checks values that would otherwise fail obscurely at run time.
    /// - Returns: a message naming each bad key; empty when the configuration is usable.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        if !(0...65535).contains(port) { errors.append("port: \(port) is not in 0...65535") }
        if backlog < 1 { errors.append("backlog: must be at least 1") }
        if embeddingDimension < 1 { errors.append("embeddingDimension: must be at least 1") }
        if minCompletionTokens < 1 || maxCompletionTokens < minCompletionTokens {
            errors.append("minCompletionTokens/maxCompletionTokens: need 1 <= min <= max")
        }
        errors += defaultBehaviour.validationErrors().map { "defaultBehaviour.\($0)" }
        for (name, behaviour) in routes.sorted(by: { $0.key < $1.key }) {
            if SimulatedRoute(rawValue: name) == nil {
                errors.append("routes.\(name): unknown route; use one of \(SimulatedRoute.allCases.map(\.rawValue))")
            }
            errors += behaviour.validationErrors().map { "routes.\(name).\($0)" }
        }
        return errors
    }
}

/// The simulated API routes, by the names configuration and statistics use.
public enum SimulatedRoute: String, Sendable, Codable, CaseIterable {
    /// OpenAI `POST /v1/chat/completions`.
    case chatCompletions = "chat.completions"
    /// OpenAI `POST /v1/embeddings`.
    case embeddings
    /// OpenAI `GET /v1/models`.
    case models
    /// Anthropic `POST /v1/messages`.
    case messages
}
