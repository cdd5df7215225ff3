import Foundation
import HTTPClient
import Hummingbird
import Kafka
import Logging
import NIOCore
import Redis
import ServiceLifecycle
import Embeddings
import VectorStores

/// The stages a process can run.
public enum StageRole: String, Sendable, CaseIterable {
    /// `settlement` reconciles the usage events against the limits; a process with the
    /// gateway runs it too. Deployments whose calls are all admitted by the HTTP ingress
    /// (`gateway.admit_at_ingress`) can run it without the gateway stage.
    case gateway, router, retriever, completer, embedder, settlement
}

/// Builds a process's clients and stages from the configuration, and runs them with the ops
/// endpoints until SIGTERM/SIGINT, then shuts everything down in order.
public struct SwitchboardRuntime: Sendable {
    public let config: SwitchboardConfig
    public let catalog: TopicCatalog
    public let logger: Logger

    public init(config: SwitchboardConfig, catalog: TopicCatalog, logger: Logger) {
        self.config = config
        self.catalog = catalog
        self.logger = logger
    }

    /// Kafka settings for consumers, resolved and with secrets expanded.
    public var consumerConfiguration: KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: config.resolvedBootstrapServers(),
                           properties: config.expandedKafkaProperties(config.kafka.properties.merging(config.kafka.consumerProperties) { $1 }))
    }

    /// Kafka settings for producers.
    public var producerConfiguration: KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: config.resolvedBootstrapServers(),
                                               properties: config.expandedKafkaProperties(config.kafka.properties.merging(config.kafka.producerProperties) { $1 }))
        configuration.topicProperties = config.kafka.topicProperties.mapValues { config.expandedKafkaProperties($0) }
        return configuration
    }

    /// The configured providers as adapters sharing one HTTP client.
    public func makeProviders(client: HTTPClient) -> [String: any ChatProvider] {
        var providers: [String: any ChatProvider] = [:]
        for provider in config.providers {
            switch provider.kind {
            case .openai, .openaiCompatible, .azure:
                providers[provider.name] = OpenAICompatibleProvider(config: provider, client: client)
            case .anthropic:
                providers[provider.name] = AnthropicProvider(config: provider, client: client)
            }
        }
        return providers
    }

    /// The completer with its providers, its Redis ledger and the producer for delta events.
    public func makeCompleter(http: HTTPClient, redis: RedisClient, producer: KafkaProducer) -> CompleterStage {
        let logger = self.logger
        let ledger = RedisRequestLedger(redis: redis, settings: config.completer.idempotency) { message in
            logger.warning("\(message)", metadata: ["stage": "completer"])
        }
        return CompleterStage(config: config, providers: makeProviders(client: http), ledger: ledger, publisher: producer,
                              cache: makePromptCache(redis: redis), logger: logger)
    }

    /// A Redis client for the configured server, checked with a PING: a server that is down
    /// stops start-up with a message naming its address.
    public func connectRedis() async throws -> RedisClient {
        guard var redisConfig = RedisConfiguration(url: config.redis.url) else {
            throw ConfigError(key: "redis.url", message: "'\(config.redis.url)' is not redis://host:port")
        }
        redisConfig.poolSize = config.redis.poolSize
        redisConfig.commandTimeout = .milliseconds(config.redis.commandTimeoutMs)
        redisConfig.password = config.redis.passwordEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        let client = RedisClient(configuration: redisConfig, logger: logger)
        do {
            try await client.connect()
        } catch {
            client.shutdown()
            throw StartupError("redis at \(redisConfig.address) is not reachable (\(error.message)); start it (ops/dev-up) or fix redis.url in the config")
        }
        return client
    }

    /// The stage runners of one process and what their stages opened.
    public struct StageSet {
        /// The roles run, settlement included when the gateway is.
        public var roles: [StageRole] = []
        public var runners: [StageRunner] = []
        /// The collection admin routes, when the process runs the embedder.
        var admin: CollectionAdmin?
        /// The vector store the retrieval stages opened.
        var store: (any VectorStore)?
        /// The providers' HTTP client, when the process runs the completer.
        var http: HTTPClient?

        /// Shuts down what the stages opened; call once their runners have stopped.
        func close() {
            http?.shutdown()
            if let store { Task { try? await store.close() } }
        }
    }

    /// Builds the runners of `given` on the process's Redis and producer, each in its own
    /// consumer group. The gateway admits against the limits, so settlement comes with it.
    public func makeStages(_ given: [StageRole], redis: RedisClient, producer: KafkaProducer) async throws -> StageSet {
        var set = StageSet()
        let roles = given.contains(.gateway) && !given.contains(.settlement) ? given + [.settlement] : given
        set.roles = roles
        // The embedding model and the vector store, loaded once for the stages that need them.
        var retrieval: (embedder: MiniLMEmbedder, store: any VectorStore)?
        if roles.contains(.embedder) || roles.contains(.retriever) {
            retrieval = (try makeEmbedder(), try await makeVectorStore())
            set.store = retrieval?.store
        }
        // The router's semantic routes embed with the same model when this process has it loaded.
        let sharedEmbedder: MiniLMEmbedder? = retrieval?.embedder
        let serializer = KeyedSerializer()
        for role in roles {
            let stage: any Stage
            var options = StageRunner.Options(deadLetterTopic: config.topics.deadLetter,
                                              groupID: "\(config.kafka.groupPrefix)-\(role.rawValue)")
            switch role {
            case .gateway:
                stage = try GatewayStage(config: config, catalog: catalog, redis: redis,
                                         routing: try await gatewayRouting(embedder: sharedEmbedder),
                                         cache: PromptCache(redis: redis, settings: config.cache, logger: logger), logger: logger)
                options.window = 2000
            case .settlement:
                // Settlement of actual usage against the limits, in its own consumer group.
                stage = UsageSettlementStage(config: config, redis: redis, logger: logger)
                options.window = 2000
            case .router:
                stage = try await makeRouter(embedder: sharedEmbedder)
                options.window = 2000
            case .completer:
                let http = HTTPClient(logger: logger)
                set.http = http
                stage = makeCompleter(http: http, redis: redis, producer: producer)
                options.window = config.completer.window
                options.maxInFlight = config.completer.maxInFlight
            case .retriever:
                guard let retrieval else { continue }
                let (directory, _) = makeIndexer(store: retrieval.store, embedder: retrieval.embedder)
                stage = RetrieverStage(topics: config.topics, directory: directory,
                                       embedder: CoalescingEmbedder(retrieval.embedder, batchSize: config.embeddings.batchSize),
                                       settings: config.retrieval, logger: logger)
                options.window = 256
            case .embedder:
                guard let retrieval else { continue }
                let (directory, indexer) = makeIndexer(store: retrieval.store, embedder: retrieval.embedder)
                stage = EmbedderStage(topics: config.topics, directory: directory, indexer: indexer, serializer: serializer, logger: logger)
                set.admin = CollectionAdmin(directory: directory, indexer: indexer, embedder: retrieval.embedder, serializer: serializer,
                                            consumer: consumerConfiguration, ingestTopic: config.topics.ingest,
                                            reranker: config.retrieval.reranker, logger: logger)
                // Enough documents in flight to fill batches across documents, few enough to stay in memory.
                options.window = 64
                options.maxInFlight = 256
                // The same service answers embedding calls from the HTTP ingress, in a group of its own.
                var callOptions = options
                callOptions.groupID = "\(config.kafka.groupPrefix)-embeddings"
                set.runners.append(StageRunner(stage: makeEmbeddingsStage(retrieval.embedder), consumer: consumerConfiguration,
                                               producer: producer, options: callOptions, logger: logger))
            }
            set.runners.append(StageRunner(stage: stage, consumer: consumerConfiguration, producer: producer, options: options, logger: logger))
        }
        return set
    }

    /// Runs `roles` in this process until a shutdown signal.
    public func run(roles: [StageRole], metricsPort: Int? = nil) async throws {
        // Metrics objects bind to the backend when created: bootstrap before any stage exists.
        _ = MetricsBootstrap.registry()
        let redis = try await connectRedis()
        defer { redis.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let stages = try await makeStages(roles, redis: redis, producer: producer)
        defer { stages.close() }
        let runners = stages.runners
        let readiness = Readiness(conditions: runners.map { runner in { runner.hasPartitions } })
        let router = Router()
        OpsEndpoints.register(on: router, readiness: readiness)
        stages.admin?.register(on: router)
        let port = metricsPort ?? config.metrics.port
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.metrics.host, port: port), serverName: "switchboard"),
            services: runners,
            onServerRunning: { channel in
                readiness.markReady()
                logger.info("serving /metrics /healthz /readyz", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
        logger.info("starting", metadata: ["roles": "\(stages.roles.map(\.rawValue))", "kafka": "\(config.resolvedBootstrapServers())"])
        try await app.runService()
        await producer.close()
    }
}

/// A process could not start; the message says what to do.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
