import Foundation
import HTTPClient
import Kafka
import Logging
import ProviderSimulator
import Synchronization

/// `switchboard bench completer`: tasks at a fixed rate straight onto the completer's input
/// topic, in front of a simulator that answers after a fixed latency, so the completer must
/// keep rate × latency requests in flight. Prints requests/s, in-flight, latency percentiles
/// and peak RSS (sampled during the run, to show whether memory stays flat).
public struct CompleterBenchmark: Sendable {
    public var config: SwitchboardConfig
    public var count: Int
    public var rate: Double
    public var providerLatencyMs: Int
    /// A simulator in another process (started with `--latency-ms`); nil starts one here.
    public var providerURL: String?
    public var logger: Logger

    public init(config: SwitchboardConfig, count: Int, rate: Double, providerLatencyMs: Int, providerURL: String? = nil, logger: Logger) {
        self.config = config
        self.providerURL = providerURL
        self.count = count
        self.rate = rate
        self.providerLatencyMs = providerLatencyMs
        self.logger = logger
    }

    public func run(catalog: TopicCatalog) async throws {
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        simConfig.defaultBehaviour = RouteBehaviour(latency: .fixed(milliseconds: Double(providerLatencyMs)))
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simTask = Task { if providerURL == nil { try await simulator.run() } }
        let port = providerURL == nil ? try await simulator.boundPort : 0
        let id = UUID().uuidString.prefix(8).lowercased()
        var config = self.config
        config.topics = try TopicNames.bench(id: String(id))
        config.providers = [try ProviderConfig.simulator(url: providerURL ?? "http://127.0.0.1:\(port)")]
        config.models = [ModelConfig(name: "sim-small", deployments: [DeploymentConfig(provider: "sim", providerModel: "gpt-4o-mini")],
                                     inputPrice: Price(picoUSDPerToken: 150_000), outputPrice: Price(picoUSDPerToken: 600_000))]
        config.defaultModel = "sim-small"
        config.completer.idempotency.keyPrefix = "bench:\(id):"
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: logger)
        let redis = try await runtime.connectRedis()
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        let topics = config.topics
        try await producer.prepare(topics: [topics.complete, topics.results, topics.usage, topics.deadLetter])
        let http = HTTPClient(logger: logger)
        let runner = StageRunner(stage: runtime.makeCompleter(http: http, redis: redis, producer: producer), consumer: runtime.consumerConfiguration,
                                 producer: producer, options: .init(window: config.completer.window, maxInFlight: config.completer.maxInFlight,
                                                                    deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-completer"), logger: logger)
        let runnerTask = Task { try await runner.run() }
        while !runner.hasPartitions { try await Task.sleep(for: .milliseconds(20)) }

        let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
        let latency = LatencyRecorder()
        let errors = Atomic<Int>(0)
        let providerMs = LatencyRecorder()
        let completerMs = LatencyRecorder()
        let reader = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: topics.results, logger: logger) { arrival in
            guard let requestID = arrival.record.header(CEHeader.requestID),
                  let sent = sentAt.withLock({ $0.removeValue(forKey: requestID) }) else { return }
            let d = arrival.receivedAt - sent
            latency.record(ms: d.inMilliseconds)
            let reply = arrival.record.value.flatMap { try? EventCoding.decode(Reply.self, from: $0) }
            if reply?.status != .ok { errors.add(1, ordering: .relaxed) }
            if let ms = reply?.timings["provider_ms"] { providerMs.record(ms: ms) }
            if let ms = reply?.timings["completer_ms"] { completerMs.record(ms: ms) }
        }
        let peakInFlight = Atomic<Int>(0)
        let rssSamples = Mutex<[Double]>([])
        let sampler = Task {
            while !Task.isCancelled {
                let active = http.activeTransferCount
                if active > peakInFlight.load(ordering: .relaxed) { peakInFlight.store(active, ordering: .relaxed) }
                rssSamples.withLock { $0.append(ProcessFigures.currentRSSMiB()) }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        print("bench completer: \(count) requests at \(Int(rate))/s, provider latency \(providerLatencyMs) ms, window \(config.completer.window), max in flight \(config.completer.maxInFlight)")
        let start = ContinuousClock.now
        let principal = Principal(tenant: "bench", keyID: "bench-key")
        await PacedSender.run(count: count, rate: rate) { i in
            let requestID = "bench-\(id)-\(i)"
            let request = ChatRequest(messages: [ChatMessage(role: "user", content: "Benchmark question number \(i)?")], maxTokens: 16)
            sentAt.withLock { $0[requestID] = .now }
            _ = try? await producer.send(CompletionTask.record(requestID: requestID, principal: principal, request: request,
                                                               replyTo: topics.results, topic: topics.complete))
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while latency.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let elapsed = ContinuousClock.now - start
        sampler.cancel()
        let seconds = elapsed.inSeconds
        let samples = rssSamples.withLock { $0 }
        let quarter = max(1, samples.count / 4)
        print(String(format: "  %d/%d replies (%d errors) in %.1f s: %.0f requests/s; peak provider calls in flight %d",
                     latency.count, count, errors.load(ordering: .relaxed), seconds, Double(latency.count) / seconds, peakInFlight.load(ordering: .relaxed)))
        print(String(format: "  latency, task produced → reply read: p50 %.1f ms  p99 %.1f ms  (provider answers after %d ms)",
                     latency.percentile(50), latency.percentile(99), providerLatencyMs))
        print(String(format: "  inside the completer: provider calls p50 %.1f ms p99 %.1f ms; whole record p50 %.1f ms p99 %.1f ms",
                     providerMs.percentile(50), providerMs.percentile(99), completerMs.percentile(50), completerMs.percentile(99)))
        print(String(format: "  RSS: first quarter of the run %.0f MiB, last quarter %.0f MiB, peak %.0f MiB (this process: completer, load generator\(providerURL == nil ? ", simulator" : ""))",
                     samples.prefix(quarter).max() ?? .nan, samples.suffix(quarter).max() ?? .nan, ProcessFigures.peakRSSMiB()))
        runner.requestStop()
        _ = await runnerTask.result
        await reader.close()
        await producer.close()
        http.shutdown()
        redis.shutdown()
        simTask.cancel()
    }
}

extension TopicNames {
    static func bench(id: String) throws -> TopicNames {
        let yaml = "topics: {requests: bench.\(id).requests, complete: bench.\(id).complete, results: bench.\(id).results, usage: bench.\(id).usage, dead_letter: bench.\(id).dlq}"
        return try SwitchboardConfig.parse(yaml, path: "bench").topics
    }
}

extension ProviderConfig {
    static func simulator(url: String) throws -> ProviderConfig {
        try SwitchboardConfig.parse("providers: [{name: sim, base_url: \"\(url)\", timeout_ms: 30000}]", path: "bench").providers[0]
    }
}
