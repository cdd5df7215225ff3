import Foundation

/// Kafka connection settings. `bootstrap_servers: auto` finds the dev cluster on its own.
public struct KafkaSettings: Sendable, Decodable {
    /// `auto`: `$SWITCHBOARD_KAFKA_BOOTSTRAP`, else the address `switchboard dev kafka` wrote
    /// in the state directory, else `127.0.0.1:9092`.
    public var bootstrapServers: String = "auto"
    /// librdkafka properties for every client (SASL, TLS, ...); `${VAR}` reads the environment.
    public var properties: [String: String] = [:]
    public var consumerProperties: [String: String] = [:]
    public var producerProperties: [String: String] = [:]
    /// Topic-level producer properties by topic name, e.g. `compression.type` for the
    /// dead-letter topic only.
    public var topicProperties: [String: [String: String]] = [:]
    /// Consumer groups are `<prefix>-<stage>`, so several pipelines can share one cluster.
    public var groupPrefix: String = "switchboard"

    enum CodingKeys: String, CodingKey {
        case bootstrapServers = "bootstrap_servers", properties
        case consumerProperties = "consumer_properties", producerProperties = "producer_properties"
        case topicProperties = "topic_properties"
        case groupPrefix = "group_prefix"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bootstrapServers = try c.decodeIfPresent(String.self, forKey: .bootstrapServers) ?? "auto"
        properties = try c.decodeIfPresent([String: String].self, forKey: .properties) ?? [:]
        consumerProperties = try c.decodeIfPresent([String: String].self, forKey: .consumerProperties) ?? [:]
        producerProperties = try c.decodeIfPresent([String: String].self, forKey: .producerProperties) ?? [:]
        topicProperties = try c.decodeIfPresent([String: [String: String]].self, forKey: .topicProperties) ?? [:]
        groupPrefix = try c.decodeIfPresent(String.self, forKey: .groupPrefix) ?? groupPrefix
    }
}

/// Redis connection settings.
public struct RedisSettings: Sendable, Decodable {
    public var url: String = "redis://127.0.0.1:6379"
    /// Connections per process, each with its own thread. Calls queued at the same moment share
    /// a round trip (automatic pipelining), so a small pool batches more under load: 2 served
    /// more requests per second through `bench ingress` than 8 (README, Figures).
    public var poolSize: Int = 2
    public var commandTimeoutMs: Int = 500
    /// Environment variable holding the password, if any.
    public var passwordEnv: String?
    /// Prefix of every key Switchboard writes (limits, key store), so deployments can share a server.
    public var keyPrefix = "switchboard"

    enum CodingKeys: String, CodingKey {
        case url, poolSize = "pool_size", commandTimeoutMs = "command_timeout_ms", passwordEnv = "password_env", keyPrefix = "key_prefix"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decodeIfPresent(String.self, forKey: .url) ?? url
        poolSize = try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? poolSize
        commandTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .commandTimeoutMs) ?? commandTimeoutMs
        passwordEnv = try c.decodeIfPresent(String.self, forKey: .passwordEnv)
        keyPrefix = try c.decodeIfPresent(String.self, forKey: .keyPrefix) ?? keyPrefix
    }
}

/// Where a process serves `/metrics`, `/healthz` and `/readyz`.
public struct MetricsSettings: Sendable, Decodable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (printed at start-up).
    public var port: Int = 9464
    public var enabled: Bool = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
    }

    enum CodingKeys: String, CodingKey { case host, port, enabled }
}

/// The topic names the pipeline uses; the defaults are the published contracts.
public struct TopicNames: Sendable, Decodable {
    public var requests = "llm.requests.v1"
    /// The v2 request topic (Anthropic-style `system` and content blocks), accepted beside v1
    /// and upcast. Defaults to `llm.requests.v2` when `requests` is the default; nil: no v2.
    public var requestsV2: String? = "llm.requests.v2"
    /// Gateway → router.
    public var route = "llm.route.v1"
    /// Router → retriever, for requests with a `retrieval` block.
    public var retrieve = "llm.retrieve.v1"
    public var complete = "llm.complete.v1"
    public var results = "llm.results.v1"
    public var usage = "llm.usage.v1"
    public var deadLetter = "llm.dlq.v1"
    /// Documents to index (compacted, key `tenant/collection/document`).
    public var ingest = "docs.ingest.v1"
    /// One acknowledgement per ingested document.
    public var indexed = "docs.indexed.v1"
    /// Embedding calls (`POST /v1/embeddings`) for the embedding service, credentials removed.
    public var embed = "llm.embed.v1"

    enum CodingKeys: String, CodingKey {
        case requests, requestsV2 = "requests_v2", route, retrieve, complete, results, usage, deadLetter = "dead_letter", ingest, indexed
        case embed
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requests = try c.decodeIfPresent(String.self, forKey: .requests) ?? requests
        requestsV2 = try c.decodeIfPresent(String.self, forKey: .requestsV2) ?? (requests == "llm.requests.v1" ? requestsV2 : nil)
        route = try c.decodeIfPresent(String.self, forKey: .route) ?? route
        retrieve = try c.decodeIfPresent(String.self, forKey: .retrieve) ?? retrieve
        complete = try c.decodeIfPresent(String.self, forKey: .complete) ?? complete
        results = try c.decodeIfPresent(String.self, forKey: .results) ?? results
        usage = try c.decodeIfPresent(String.self, forKey: .usage) ?? usage
        deadLetter = try c.decodeIfPresent(String.self, forKey: .deadLetter) ?? deadLetter
        ingest = try c.decodeIfPresent(String.self, forKey: .ingest) ?? ingest
        indexed = try c.decodeIfPresent(String.self, forKey: .indexed) ?? indexed
        embed = try c.decodeIfPresent(String.self, forKey: .embed) ?? embed
    }
}

/// A tenant and its API keys. Keys are stored only as SHA-256 hashes.
public struct TenantConfig: Sendable, Decodable {
    public var id: String
    public var keys: [APIKeyConfig]
    /// Topics this tenant may ask replies to be written to.
    public var replyTopics: [String]
    /// Models, collections and limits of the whole tenant (every key together).
    public var scope: Scope

    enum CodingKeys: String, CodingKey { case id, keys, replyTopics = "reply_topics", models, collections, limits }

    public init(id: String, keys: [APIKeyConfig], replyTopics: [String] = [], scope: Scope = Scope()) {
        self.id = id
        self.keys = keys
        self.replyTopics = replyTopics
        self.scope = scope
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        keys = try c.decodeIfPresent([APIKeyConfig].self, forKey: .keys) ?? []
        replyTopics = try c.decodeIfPresent([String].self, forKey: .replyTopics) ?? []
        scope = try Scope(from: decoder)
    }
}

/// One API key: an id for logs and usage, the hex SHA-256 of the secret, and its own scope
/// (models, collections, limits) within the tenant's.
public struct APIKeyConfig: Sendable, Decodable {
    public var id: String
    public var sha256: String
    public var scope: Scope

    enum CodingKeys: String, CodingKey { case id, sha256 }

    public init(id: String, sha256: String, scope: Scope = Scope()) {
        self.id = id
        self.sha256 = sha256
        self.scope = scope
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        sha256 = try c.decode(String.self, forKey: .sha256)
        scope = try Scope(from: decoder)
    }
}

/// An upstream model provider.
public struct ProviderConfig: Sendable, Decodable {
    public enum Kind: String, Sendable, Decodable {
        case openai
        case openaiCompatible = "openai-compatible"
        /// Azure OpenAI: `provider_model` is the deployment name, `api_version` the API version.
        case azure
        case anthropic
    }

    /// The Azure OpenAI API version used when `api_version` is not set.
    public static let defaultAzureAPIVersion = "2024-10-21"

    public var name: String
    public var kind: Kind
    public var baseURL: String
    /// Environment variable holding the provider's API key; never the key itself.
    public var apiKeyEnv: String?
    public var timeoutMs: Int
    public var connectTimeoutMs: Int
    /// Azure's `api-version` query value, or Anthropic's `anthropic-version` header.
    public var apiVersion: String?

    enum CodingKeys: String, CodingKey {
        case name, kind, baseURL = "base_url", apiKeyEnv = "api_key_env", timeoutMs = "timeout_ms", connectTimeoutMs = "connect_timeout_ms"
        case apiVersion = "api_version"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .openaiCompatible
        baseURL = try c.decode(String.self, forKey: .baseURL)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        timeoutMs = try c.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? 60_000
        connectTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .connectTimeoutMs) ?? 2_000
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
    }
}

/// A model (tier) in the catalog: the deployments that serve it, in order, and its prices.
public struct ModelConfig: Sendable, Decodable {
    public var name: String
    /// The first deployment's provider (kept for single-provider configurations).
    public var provider: String
    /// The first deployment's model name at its provider (defaults to `name`).
    public var providerModel: String
    public var inputPrice: Price
    public var outputPrice: Price
    /// The price of prompt tokens served from the provider's prompt cache (default: `inputPrice`).
    public var cachedInputPrice: Price
    public var aliases: [String]
    /// Tokens of prompt plus answer the model accepts; nil when unknown.
    public var contextWindow: Int?
    /// The ordered failover chain; at least one entry (from `provider` when not given).
    public var deployments: [DeploymentConfig]
    public var routing: RoutingStrategy
    /// Whether the config named any price (otherwise a price table may supply them).
    public var pricesGiven = true

    enum CodingKeys: String, CodingKey {
        case name, provider, providerModel = "provider_model"
        case inputPrice = "input_usd_per_mtok", outputPrice = "output_usd_per_mtok", cachedInputPrice = "cached_input_usd_per_mtok"
        case aliases, contextWindow = "context_window", deployments, routing
    }

    public init(name: String, deployments: [DeploymentConfig], inputPrice: Price, outputPrice: Price, cachedInputPrice: Price? = nil,
                aliases: [String] = [], contextWindow: Int? = nil, routing: RoutingStrategy = .ordered) {
        self.name = name
        self.provider = deployments.first?.provider ?? ""
        self.providerModel = deployments.first?.providerModel ?? name
        self.inputPrice = inputPrice
        self.outputPrice = outputPrice
        self.cachedInputPrice = cachedInputPrice ?? inputPrice
        self.aliases = aliases
        self.contextWindow = contextWindow
        self.deployments = deployments
        self.routing = routing
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        let listed = try c.decodeIfPresent([DeploymentConfig].self, forKey: .deployments) ?? []
        if let provider = try c.decodeIfPresent(String.self, forKey: .provider) {
            let model = try c.decodeIfPresent(String.self, forKey: .providerModel) ?? name
            deployments = listed.isEmpty ? [DeploymentConfig(provider: provider, providerModel: model)] : listed
        } else if !listed.isEmpty {
            deployments = listed
        } else {
            throw DecodingError.keyNotFound(CodingKeys.provider, .init(codingPath: c.codingPath, debugDescription: "provider or deployments is required"))
        }
        for index in deployments.indices where deployments[index].providerModel.isEmpty { deployments[index].providerModel = name }
        provider = deployments[0].provider
        providerModel = deployments[0].providerModel
        pricesGiven = c.contains(.inputPrice) || c.contains(.outputPrice)
        inputPrice = try c.decodeIfPresent(Price.self, forKey: .inputPrice) ?? Price(picoUSDPerToken: 0)
        outputPrice = try c.decodeIfPresent(Price.self, forKey: .outputPrice) ?? Price(picoUSDPerToken: 0)
        cachedInputPrice = try c.decodeIfPresent(Price.self, forKey: .cachedInputPrice) ?? inputPrice
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        contextWindow = try c.decodeIfPresent(Int.self, forKey: .contextWindow)
        routing = try c.decodeIfPresent(RoutingStrategy.self, forKey: .routing) ?? .ordered
    }
}

/// One place a model is served: a provider and the model's name there.
public struct DeploymentConfig: Sendable, Decodable, Hashable {
    public var provider: String
    /// Empty means the catalog model's name.
    public var providerModel: String
    /// Share of traffic under `weighted` routing.
    public var weight: Int
    /// Runs on infrastructure of our own (e.g. Ollama or vLLM in the cluster): the only kind a
    /// `local` routing tier may use, so internal documents never leave it.
    public var local: Bool

    enum CodingKeys: String, CodingKey { case provider, providerModel = "provider_model", weight, local }

    public init(provider: String, providerModel: String, weight: Int = 1, local: Bool = false) {
        self.provider = provider
        self.providerModel = providerModel
        self.weight = weight
        self.local = local
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        provider = try c.decode(String.self, forKey: .provider)
        providerModel = try c.decodeIfPresent(String.self, forKey: .providerModel) ?? ""
        weight = try c.decodeIfPresent(Int.self, forKey: .weight) ?? 1
        local = try c.decodeIfPresent(Bool.self, forKey: .local) ?? false
    }

    /// `provider/model`, the name used in usage events, metrics and logs.
    public var id: String { "\(provider)/\(providerModel)" }
}

/// How a model's deployments share its traffic; failover always walks the rest in order.
public enum RoutingStrategy: String, Sendable, Decodable {
    /// The first healthy deployment in the listed order.
    case ordered
    /// A weighted random first choice.
    case weighted
    /// The deployment with the lowest recent latency first.
    case leastLatency = "least-latency"
}

/// Limits the gateway enforces before anything else sees a request.
public struct GatewaySettings: Sendable, Decodable {
    /// What the gateway does when Redis (limits, key store) cannot be reached.
    public enum RedisFailurePolicy: String, Sendable, Decodable {
        /// Admit the request without counting it.
        case open
        /// Reject it with `rate_limited` and a short retry-after.
        case closed
    }

    public var maxRequestBytes = 1_048_576
    public var maxMessages = 256
    public var maxTokensLimit = 32_768
    /// UTF-8 bytes of all message (and system) text together.
    public var maxPromptBytes = 524_288
    /// Estimated prompt tokens (see `TokenEstimate`).
    public var maxPromptTokens = 131_072
    /// Bytes of the request's `metadata` object as JSON.
    public var maxMetadataBytes = 4096
    public var allowedRoles = ["system", "developer", "user", "assistant"]
    /// Output tokens assumed for a request without `max_tokens` when estimating tokens and cost.
    public var defaultMaxTokens = 1024
    /// Every tenant may have replies written to topics starting with this prefix: the HTTP
    /// ingress processes read their own reply topic `<prefix><instance>`.
    public var ingressReplyPrefix = "llm.results.ingress-"
    public var redisFailure = RedisFailurePolicy.closed
    /// Log prompt text in the per-request log line (off: never).
    public var logPrompts = false
    /// Keys are also looked up in Redis (`switchboard keys create`); a lookup is cached this long,
    /// so a revoked key stops working within this time on every gateway.
    public var keysInRedis = true
    public var keyCacheMs = 2000
    /// How long an admitted request holds a concurrency slot when no usage event releases it.
    public var inFlightTTLMs = 300_000

    /// How long a request due by `deadline` (epoch ms) may hold its slot: `inFlightTTLMs`, or
    /// 5 s past the deadline when that is sooner (at least 1 s).
    public func inFlightTTLMs(deadline: Int64?) -> Int {
        guard let deadline else { return inFlightTTLMs }
        return max(1000, min(inFlightTTLMs, Int(deadline - Timestamp.nowMs()) + 5000))
    }
    /// Route in the gateway's own process (one Kafka hop fewer) whenever it can: when the
    /// routing needs no embedding model (no semantic routes), or the process has the model
    /// loaded anyway (`run all`). Otherwise, or when false, requests go to the router stage
    /// over `llm.route.v1`.
    public var routeInline = true
    /// The HTTP ingress (`serve`) runs the gateway stage on each call in its own process and
    /// produces what it admits straight to the next stage (one Kafka hop fewer; rejections and
    /// exact cache hits are answered at once). When false, calls go to the requests topic and
    /// the gateway stage admits them.
    public var admitAtIngress = true

    enum CodingKeys: String, CodingKey {
        case maxRequestBytes = "max_request_bytes", maxMessages = "max_messages", maxTokensLimit = "max_tokens_limit"
        case maxPromptBytes = "max_prompt_bytes", maxPromptTokens = "max_prompt_tokens", maxMetadataBytes = "max_metadata_bytes"
        case allowedRoles = "allowed_roles", defaultMaxTokens = "default_max_tokens", ingressReplyPrefix = "ingress_reply_prefix"
        case redisFailure = "redis_failure", logPrompts = "log_prompts", keysInRedis = "keys_in_redis", keyCacheMs = "key_cache_ms"
        case inFlightTTLMs = "in_flight_ttl_ms", routeInline = "route_inline", admitAtIngress = "admit_at_ingress"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxRequestBytes = try c.decodeIfPresent(Int.self, forKey: .maxRequestBytes) ?? maxRequestBytes
        maxMessages = try c.decodeIfPresent(Int.self, forKey: .maxMessages) ?? maxMessages
        maxTokensLimit = try c.decodeIfPresent(Int.self, forKey: .maxTokensLimit) ?? maxTokensLimit
        maxPromptBytes = try c.decodeIfPresent(Int.self, forKey: .maxPromptBytes) ?? maxPromptBytes
        maxPromptTokens = try c.decodeIfPresent(Int.self, forKey: .maxPromptTokens) ?? maxPromptTokens
        maxMetadataBytes = try c.decodeIfPresent(Int.self, forKey: .maxMetadataBytes) ?? maxMetadataBytes
        allowedRoles = try c.decodeIfPresent([String].self, forKey: .allowedRoles) ?? allowedRoles
        defaultMaxTokens = try c.decodeIfPresent(Int.self, forKey: .defaultMaxTokens) ?? defaultMaxTokens
        ingressReplyPrefix = try c.decodeIfPresent(String.self, forKey: .ingressReplyPrefix) ?? ingressReplyPrefix
        redisFailure = try c.decodeIfPresent(RedisFailurePolicy.self, forKey: .redisFailure) ?? redisFailure
        logPrompts = try c.decodeIfPresent(Bool.self, forKey: .logPrompts) ?? logPrompts
        keysInRedis = try c.decodeIfPresent(Bool.self, forKey: .keysInRedis) ?? keysInRedis
        keyCacheMs = try c.decodeIfPresent(Int.self, forKey: .keyCacheMs) ?? keyCacheMs
        inFlightTTLMs = try c.decodeIfPresent(Int.self, forKey: .inFlightTTLMs) ?? inFlightTTLMs
        routeInline = try c.decodeIfPresent(Bool.self, forKey: .routeInline) ?? routeInline
        admitAtIngress = try c.decodeIfPresent(Bool.self, forKey: .admitAtIngress) ?? admitAtIngress
    }
}
