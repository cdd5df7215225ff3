import Embeddings
import Foundation
import Kafka
import Logging
import ProviderSimulator
import Redis
import Switchboard
import Synchronization
import Testing
import Embeddings
import VectorStores

/// One embedding model per test process: loading it takes a moment and 90 MB.
enum SharedEmbedder {
    private static let model = Mutex<MiniLMEmbedder?>(nil)
    private static let callsModel = Mutex<MiniLMEmbedder?>(nil)

    static func get() throws -> MiniLMEmbedder { try loaded(model) }

    /// A second model for the stages that answer embedding calls, so those calls never queue
    /// behind another suite's corpus on the first one (a call waits for every batch queued
    /// before it, and the HTTP tests have deadlines).
    static func forCalls() throws -> MiniLMEmbedder { try loaded(callsModel) }

    private static func loaded(_ slot: borrowing Mutex<MiniLMEmbedder?>) throws -> MiniLMEmbedder {
        try slot.withLock { current in
            if let current { return current }
            let model = try load()
            current = model
            return model
        }
    }

    private static func load() throws -> MiniLMEmbedder {
        let directory = ModelLocation.defaultDirectory(currentDirectory: PipelineHarness.repositoryRoot())
        return try MiniLMEmbedder(modelDirectory: directory, maxLength: 512)   // the default chunker keeps passages up to 512 tokens whole
    }
}

/// A whole pipeline for one test: gateway and completer runners in this process, on the dev
/// Kafka that ops/test starts (real protocol, real sockets), with topics and consumer groups
/// of its own, in front of an in-process provider simulator on a loopback port.
struct PipelineHarness {
    static let devKey = "sk-sb-test-key-\(UUID().uuidString.prefix(8))"
    static let secondKey = "sk-sb-test-second-\(UUID().uuidString.prefix(8))"

    let id: String
    let config: SwitchboardConfig
    let catalog: TopicCatalog
    let simulator: ProviderSimulator
    let simulatorPort: Int
    let producer: KafkaProducer
    /// Redis for keys, limits and settlement, when the test asked for it.
    let redis: RedisClient?
    let runtime: SwitchboardRuntime
    private let tasks: [Task<Void, any Error>]
    private let runners: [StageRunner]
    private let simulatorTask: Task<Void, any Error>
    let logger: Logger

    /// The dev Kafka's bootstrap address, from ops/test's environment or the state file.
    static func bootstrap() throws -> String {
        if let env = ProcessInfo.processInfo.environment["SWITCHBOARD_KAFKA_BOOTSTRAP"], !env.isEmpty { return env }
        let stateFile = repositoryRoot() + "/.run/kafka.bootstrap"
        if let text = try? String(contentsOfFile: stateFile, encoding: .utf8), !text.isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw HarnessError("no dev Kafka: run the tests with ops/test (it starts the dev services)")
    }

    static func repositoryRoot() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Redis of ops/test (`REDIS_URL`).
    static var redisURL: String { ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379" }

    static func topicCatalog() throws -> TopicCatalog {
        try TopicCatalog.load(directory: repositoryRoot() + "/topics")
    }

    /// Starts everything. `providerURL` overrides the simulator (e.g. a closed port).
    /// `providers`, `models` and `completer` replace those YAML sections; `$SIM` in them is the
    /// simulator's base URL.
    static func start(simulatorConfiguration: SimulatorConfiguration = SimulatorConfiguration(),
                      providerURL: String? = nil, window: Int = 1000, roles: [StageRole] = [.gateway, .router, .completer],
                      providers: String? = nil, models: String? = nil, completer: String? = nil,
                      withRedis: Bool = false, tenantExtra: String = "", gatewayExtra: String = "",
                      routing: String? = nil, embedder: (any TextEmbedder)? = nil,
                      vectorStore: (any VectorStore)? = nil, extraYAML: String = "", cache: String? = nil) async throws -> PipelineHarness {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let id = UUID().uuidString.prefix(8).lowercased()
        var simConfig = simulatorConfiguration
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simulatorTask = Task { try await simulator.run() }
        let port = try await simulator.boundPort
        let redisURL = Self.redisURL
        let yaml = """
        kafka:
          bootstrap_servers: \(try bootstrap())
          consumer_properties: {fetch.wait.max.ms: "1", session.timeout.ms: "6000", heartbeat.interval.ms: "500", max.partition.fetch.bytes: "33554432"}
          producer_properties: {linger.ms: "1", message.max.bytes: "33554432", compression.type: lz4}
        topics:
          requests: test.\(id).requests
          requests_v2: test.\(id).requests.v2
          route: test.\(id).route
          retrieve: test.\(id).retrieve
          complete: test.\(id).complete
          ingest: test.\(id).ingest
          indexed: test.\(id).indexed
          embed: test.\(id).embed
          results: test.\(id).results
          usage: test.\(id).usage
          dead_letter: test.\(id).dlq
        tenants:
          - id: acme
            keys: [{id: acme-key, sha256: \(KeyStore.hash(devKey))}]
            reply_topics: [test.\(id).results.custom]
        \(tenantExtra.isEmpty ? "" : "    " + tenantExtra)
          - id: globex
            keys: [{id: globex-key, sha256: \(KeyStore.hash(secondKey))}]
        redis: {url: "\(redisURL)", key_prefix: "test-\(id)", command_timeout_ms: 5000}
        providers:
        \(providers ?? "  - {name: sim, kind: openai-compatible, base_url: \"$SIM\", timeout_ms: 15000, connect_timeout_ms: 2000}")
        models:
        \(models ?? "  - {name: sim-small, provider: sim, input_usd_per_mtok: \"0.15\", output_usd_per_mtok: \"0.60\", aliases: [small]}")
        default_model: sim-small
        completer:
          window: \(window)
          max_in_flight: \(max(window, 4000))
        \(completer?.contains("idempotency") == true ? "" : "  idempotency: {key_prefix: \"test:$ID:\"}")
        \(completer?.contains("retry") == true ? "" : "  retry: {max_attempts: 1}")
        \(completer ?? "")
        gateway: {key_cache_ms: 500\(gatewayExtra.isEmpty ? "" : ", " + gatewayExtra)}
        \(routing ?? "")
        \(extraYAML)
        cache: \(cache ?? "{key_prefix: \"test:$ID:cache:\"}")
        """.replacingOccurrences(of: "$SIM", with: providerURL ?? "http://127.0.0.1:\(port)").replacingOccurrences(of: "$ID", with: id)
        let config = try SwitchboardConfig.parse(yaml, path: "test")
        let catalog = try topicCatalog()
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: logger)
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        // The dev broker creates a topic on a producer's metadata request.
        let topics = config.topics
        try await producer.prepare(topics: [topics.requests, topics.requestsV2 ?? topics.requests, topics.route, topics.retrieve, topics.complete, topics.results,
                                            topics.usage, topics.deadLetter, topics.results + ".custom",
                                            topics.ingest, topics.indexed, topics.embed])
        let http = HTTPClientBox.shared
        let redis = try await runtime.connectRedis()
        var runners: [StageRunner] = []
        let serializer = KeyedSerializer()
        func indexing() throws -> (CollectionDirectory, DocumentIndexer, MiniLMEmbedder) {
            guard let vectorStore else { throw HarnessError("the embedder and retriever stages need a vector store") }
            let embedder = try SharedEmbedder.get()
            let (directory, indexer) = runtime.makeIndexer(store: vectorStore, embedder: embedder)
            return (directory, indexer, embedder)
        }
        for role in roles {
            let stage: any Stage = switch role {
            // Without a router stage the gateway routes in its own process, as `run all` does.
            case .gateway: try GatewayStage(config: config, catalog: catalog, redis: withRedis ? redis : nil,
                                            routing: roles.contains(.router) ? .forward : try await runtime.gatewayRouting(embedder: embedder),
                                            cache: PromptCache(redis: redis, settings: config.cache, logger: logger), logger: logger)
            case .router: try await runtime.makeRouter(embedder: embedder)
            case .completer: runtime.makeCompleter(http: http, redis: redis, producer: producer)
            case .settlement: UsageSettlementStage(config: config, redis: redis, logger: logger)
            case .retriever:
                try { () throws -> any Stage in
                    let (directory, _, embedder) = try indexing()
                    return RetrieverStage(topics: topics, directory: directory, embedder: embedder, settings: config.retrieval, logger: logger)
                }()
            case .embedder:
                try { () throws -> any Stage in
                    let (directory, indexer, _) = try indexing()
                    return EmbedderStage(topics: topics, directory: directory, indexer: indexer, serializer: serializer, logger: logger)
                }()
            }
            let options = StageRunner.Options(window: window, maxInFlight: max(window, 4000),
                                              deadLetterTopic: topics.deadLetter, groupID: "test-\(id)-\(role.rawValue)")
            runners.append(StageRunner(stage: stage, consumer: runtime.consumerConfiguration, producer: producer, options: options, logger: logger))
            if role == .embedder {
                // The embedding service answers embedding calls too, as under `switchboard run`.
                var callOptions = options
                callOptions.groupID = "test-\(id)-embeddings"
                runners.append(StageRunner(stage: runtime.makeEmbeddingsStage(try SharedEmbedder.forCalls()), consumer: runtime.consumerConfiguration,
                                           producer: producer, options: callOptions, logger: logger))
            }
            if role == .gateway && withRedis && !roles.contains(.settlement) {
                runners.append(StageRunner(stage: UsageSettlementStage(config: config, redis: redis, logger: logger),
                                           consumer: runtime.consumerConfiguration, producer: producer,
                                           options: .init(deadLetterTopic: topics.deadLetter, groupID: "test-\(id)-settlement"), logger: logger))
            }
        }
        let tasks = runners.map { runner in Task { try await runner.run() } }
        // Records flow once every runner has its partitions.
        let deadline = ContinuousClock.now + .seconds(30)
        while !runners.allSatisfy(\.hasPartitions) {
            guard ContinuousClock.now < deadline else { throw HarnessError("stages did not get partitions within 30 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return PipelineHarness(id: String(id), config: config, catalog: catalog, simulator: simulator, simulatorPort: port,
                               producer: producer, redis: redis, runtime: runtime, tasks: tasks, runners: runners,
                               simulatorTask: simulatorTask, logger: logger)
    }

    /// A harness that only reads topics (for tests that run the stages in other processes).
    static func readerOnly(runtime: SwitchboardRuntime, logger: Logger) async throws -> PipelineHarness {
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        return PipelineHarness(id: "reader", config: runtime.config, catalog: runtime.catalog, simulator: simulator, simulatorPort: 0,
                               producer: try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger), redis: nil,
                               runtime: runtime, tasks: [], runners: [], simulatorTask: Task {}, logger: logger)
    }

    /// Stops the stages (drain, commit, leave), the producer and the simulator.
    func stop() async {
        for runner in runners { runner.requestStop() }
        for task in tasks { _ = await task.result }
        await producer.close()
        redis?.shutdown()
        simulatorTask.cancel()
        _ = await simulatorTask.result
    }

    /// A request record from the test tenant.
    func request(_ text: String, key: String = PipelineHarness.devKey, requestID: String = UUID().uuidString.lowercased(),
                 model: String? = nil, replyTo: String? = nil) -> KafkaOutgoingRecord {
        RequestEvents.make(ChatRequest(model: model, messages: [ChatMessage(role: "user", content: text)], maxTokens: 32),
                           apiKey: key, topic: config.topics.requests, requestID: requestID, replyTo: replyTo)
    }

    /// Reads `topic` from the beginning until `count` records arrived, then `settle` longer
    /// to catch duplicates; fails after `timeout`.
    func readAll(_ topic: String, atLeast count: Int, settle: Duration = .seconds(1), timeout: Duration = .seconds(60),
                 distinct: (@Sendable (KafkaRecord) -> String?)? = nil) async throws -> [KafkaRecord] {
        try await Self.readAll(topic, runtime: runtime, logger: logger, atLeast: count, settle: settle, timeout: timeout, distinct: distinct)
    }

    /// Reads `topic` from the beginning until `count` records arrived (or `count` distinct
    /// values of `distinct`, when given), then `settle` longer to catch duplicates.
    static func readAll(_ topic: String, runtime: SwitchboardRuntime, logger: Logger, atLeast count: Int, settle: Duration = .seconds(1),
                        timeout: Duration = .seconds(60), distinct: (@Sendable (KafkaRecord) -> String?)? = nil) async throws -> [KafkaRecord] {
        let (consumer, _) = try await readerFromBeginning(topic, runtime: runtime, logger: logger)
        let collected = RecordBox()
        let reader = Task {
            while let record = await consumer.next() { collected.append(record) }
        }
        func progress() -> Int {
            let records = collected.all
            return distinct.map { key in Set(records.compactMap(key)).count } ?? records.count
        }
        let deadline = ContinuousClock.now + timeout
        while progress() < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: settle)
        await consumer.close()
        reader.cancel()
        return collected.all
    }

    /// A consumer outside any group reading every partition of `topic` from its beginning, and
    /// the partitions' end offsets when it started.
    static func readerFromBeginning(_ topic: String, runtime: SwitchboardRuntime, logger: Logger) async throws
        -> (KafkaConsumer, [TopicPartition: Int64]) {
        let consumer = try KafkaConsumer(configuration: runtime.consumerConfiguration, groupID: "test-reader-\(UUID())", logger: logger)
        let ends = try await consumer.endOffsets(topic: topic)
        try consumer.assign(Dictionary(uniqueKeysWithValues: ends.keys.map { ($0, KafkaConsumer.beginning) }))
        return (consumer, ends)
    }

    /// Reads `topic` from the beginning up to the end offsets it has after `settle` (what was
    /// produced by then), however many batches that takes; fails after `timeout`.
    func readToEnd(_ topic: String, settle: Duration = .seconds(1), timeout: Duration = .seconds(120)) async throws -> [KafkaRecord] {
        try await Task.sleep(for: settle)
        let (consumer, ends) = try await Self.readerFromBeginning(topic, runtime: runtime, logger: logger)
        var collected: [KafkaRecord] = []
        var remaining = Set(ends.filter { $0.value > 0 }.keys)
        let deadline = ContinuousClock.now + timeout
        let timer = Task {
            try? await Task.sleep(until: deadline)
            consumer.stopFetching()
        }
        while !remaining.isEmpty, let record = await consumer.next() {
            collected.append(record)
            let partition = TopicPartition(record.topic, record.partition)
            if let end = ends[partition], record.offset + 1 >= end { remaining.remove(partition) }
        }
        timer.cancel()
        await consumer.close()
        guard remaining.isEmpty else {
            throw HarnessError("\(topic): partitions \(remaining.map(\.description).sorted()) not read to their end within \(timeout)")
        }
        return collected
    }

    /// A provider simulator on a free loopback port, running until the task is cancelled.
    static func startSimulator(_ configuration: SimulatorConfiguration = SimulatorConfiguration()) async throws
        -> (simulator: ProviderSimulator, task: Task<Void, any Error>, port: Int) {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var configuration = configuration
        configuration.port = 0
        let simulator = ProviderSimulator(configuration: configuration, logger: logger)
        let task = Task { try await simulator.run() }
        return (simulator, task, try await simulator.boundPort)
    }

    /// The committed offsets of the stage's group on its input topic, and the topic's end offsets.
    func committedAndEnd(role: StageRole, topic: String) async throws -> (committed: [TopicPartition: Int64], end: [TopicPartition: Int64]) {
        let consumer = try KafkaConsumer(configuration: runtime.consumerConfiguration, groupID: "test-\(id)-\(role.rawValue)", logger: logger)
        defer { Task { await consumer.close() } }
        let end = try await consumer.endOffsets(topic: topic)
        let committed = try await consumer.committed(Array(end.keys))
        return (committed, end)
    }

    /// Checks a record against its topic's contract.
    func contractViolations(_ record: KafkaRecord, contract name: String) -> [String] {
        guard let contract = catalog[name] else { return ["no contract \(name)"] }
        return contract.violations(value: record.value, headers: record.headers)
    }
}

/// Records collected by a reader task.
final class RecordBox: Sendable {
    private let records = Mutex<[KafkaRecord]>([])
    func append(_ record: KafkaRecord) { records.withLock { $0.append(record) } }
    var all: [KafkaRecord] { records.withLock { $0 } }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension KafkaRecord {
    /// The value decoded as `T`, or nil.
    func decoded<T: Decodable>(_ type: T.Type) -> T? {
        value.flatMap { try? EventCoding.decode(type, from: $0) }
    }
}
