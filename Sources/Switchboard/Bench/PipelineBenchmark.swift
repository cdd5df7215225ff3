import Foundation
import HTTPClient
import Kafka
import Logging
import ProviderSimulator
import Synchronization

/// `switchboard bench pipeline`: requests at a fixed rate through gateway and completer (in
/// this process, on the dev Kafka) in front of an instant provider simulator, and the same rate
/// through one bare producer→consumer hop on the same Kafka, so the pipeline's own cost per hop
/// shows. Prints throughput, latency percentiles, CPU per request and peak RSS.
public struct PipelineBenchmark: Sendable {
    public var bootstrap: String
    public var count: Int
    public var rate: Double
    public var lingerMs: Int
    public var fetchWaitMs: Int
    /// Route in a router stage of its own (one more Kafka hop) instead of in the gateway.
    public var routerStage: Bool
    /// Partitions of each topic of the run, created on the dev broker; 0 leaves them to the
    /// broker's auto-creation.
    public var partitions: Int
    public var logger: Logger

    public init(bootstrap: String, count: Int, rate: Double, lingerMs: Int = 0, fetchWaitMs: Int = 1, routerStage: Bool = false,
                partitions: Int = 16, logger: Logger) {
        self.partitions = partitions
        self.routerStage = routerStage
        self.bootstrap = bootstrap
        self.count = count
        self.rate = rate
        self.lingerMs = lingerMs
        self.fetchWaitMs = fetchWaitMs
        self.logger = logger
    }

    static let key = "sk-sb-bench-\(UUID().uuidString.prefix(8))"

    func config(id: String, simulatorPort: Int) throws -> SwitchboardConfig {
        try SwitchboardConfig.parse("""
        kafka:
          bootstrap_servers: \(bootstrap)
          consumer_properties: {fetch.wait.max.ms: "\(fetchWaitMs)", session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
          producer_properties: {linger.ms: "\(lingerMs)"}
        topics:
          requests: bench.\(id).requests
          route: bench.\(id).route
          complete: bench.\(id).complete
          results: bench.\(id).results
          usage: bench.\(id).usage
          dead_letter: bench.\(id).dlq
        tenants:
          - id: bench
            keys: [{id: bench-key, sha256: \(KeyStore.hash(Self.key))}]
        providers:
          - {name: sim, kind: openai-compatible, base_url: "http://127.0.0.1:\(simulatorPort)", timeout_ms: 10000}
        models:
          - {name: sim-small, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60"}
        default_model: sim-small
        """, path: "bench")
    }

    /// Runs the floor, then the pipeline, printing as it goes.
    public func run(catalog: TopicCatalog) async throws {
        print("bench pipeline: \(count) requests at \(rate > 0 ? String(format: "%.0f/s", rate) : "max rate"), Kafka \(bootstrap)")
        let floor = try await bareHop()
        print(String(format: "floor, one bare hop (produce → consume, same Kafka, same rate): %.0f msg/s, CPU %.3f ms per message; ", floor.throughput, floor.cpuMs) + floor.latency.summary())

        let id = UUID().uuidString.prefix(8).lowercased()
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simTask = Task { try await simulator.run() }
        let port = try await simulator.boundPort
        let config = try config(id: String(id), simulatorPort: port)
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: logger)
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        let topics = config.topics
        print(try await BenchTopics.prepare(topics, producer: producer, partitions: partitions, bootstrap: bootstrap, logger: logger))
        let http = HTTPClient(logger: logger)
        // No routing section: the default model answers, decided in the gateway (as `run all`
        // does) or, with `routerStage`, by a router stage one Kafka hop further on.
        var runners = [
            StageRunner(stage: try GatewayStage(config: config, catalog: catalog, routing: routerStage ? .forward : try await runtime.gatewayRouting(),
                                                logger: logger),
                        consumer: runtime.consumerConfiguration, producer: producer,
                        options: .init(window: 2000, deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-gateway"), logger: logger),
            StageRunner(stage: CompleterStage(config: config, providers: runtime.makeProviders(client: http), logger: logger),
                        consumer: runtime.consumerConfiguration, producer: producer,
                        options: .init(window: config.completer.window, maxInFlight: config.completer.maxInFlight, deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-completer"), logger: logger),
        ]
        if routerStage {
            runners.append(StageRunner(stage: try await runtime.makeRouter(), consumer: runtime.consumerConfiguration, producer: producer,
                                       options: .init(window: 2000, deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-router"), logger: logger))
        }
        let hops = routerStage ? 4 : 3
        let tasks = runners.map { runner in Task { try await runner.run() } }
        while !runners.allSatisfy(\.hasPartitions) { try await Task.sleep(for: .milliseconds(20)) }

        let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
        let latency = LatencyRecorder()
        let errors = Atomic<Int>(0)
        let lastArrival = Mutex<ContinuousClock.Instant>(.now)
        let parts = StageTimings()
        let reader = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: topics.results, logger: logger) { arrival in
            guard let id = arrival.record.header(CEHeader.requestID), let sent = sentAt.withLock({ $0.removeValue(forKey: id) }) else { return }
            let d = arrival.receivedAt - sent
            latency.record(ms: d.inMilliseconds)
            let reply = arrival.record.value.flatMap { try? EventCoding.decode(Reply.self, from: $0) }
            if reply?.status != .ok { errors.add(1, ordering: .relaxed) }
            var timings = reply?.timings ?? [:]
            if let produced = arrival.record.timestamp { timings["reply_queue_ms"] = Double(max(0, Timestamp.nowMs() - produced)) }
            parts.record(timings)
            lastArrival.withLock { $0 = arrival.receivedAt }
        }
        // Warm-up: connections, metadata, the provider's HTTP connections.
        for i in 0..<50 {
            let record = RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: "warm-up \(i)")], maxTokens: 16),
                                            apiKey: Self.key, topic: topics.requests, requestID: "warmup-\(i)")
            try await producer.send(record)
        }
        try await Task.sleep(for: .seconds(1))

        let cpu = RunCPU()
        let start = ContinuousClock.now
        let count = self.count
        await PacedSender.run(count: count, rate: rate) { i in
            let requestID = "bench-\(id)-\(i)"
            let record = RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: "Benchmark question number \(i)?")], maxTokens: 16),
                                            apiKey: Self.key, topic: topics.requests, requestID: requestID)
            sentAt.withLock { $0[requestID] = .now }
            _ = try? await producer.send(record)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while latency.count < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = lastArrival.withLock { $0 } - start
        let seconds = elapsed.inSeconds
        let shape = routerStage ? "gateway + router + completer" : "gateway routing in place + completer"
        print("pipeline (\(shape), \(hops) Kafka hops, HTTP to the simulator): " + String(format: "%d/%d replies (%d errors), %.0f requests/s",
                     latency.count, count, errors.load(ordering: .relaxed), Double(latency.count) / seconds))
        print("  added latency, request sent → reply read: " + latency.summary())
        print(String(format: "  per hop above the floor at p50: %.2f ms; CPU %.3f ms per request (this process: stages, simulator, load generator); peak RSS %.0f MiB",
                     (latency.percentile(50) - Double(hops) * floor.latency.percentile(50)) / Double(hops), cpu.msPerRequest(latency.count),
                     ProcessFigures.peakRSSMiB()))
        print(cpu.byThread(requests: latency.count))
        parts.printTable()
        for runner in runners { runner.requestStop() }
        for task in tasks { _ = await task.result }
        await reader.close()
        await producer.close()
        http.shutdown()
        simTask.cancel()
    }

    /// One producer → consumer hop at the same rate, through the project's Kafka layer.
    func bareHop() async throws -> (throughput: Double, latency: LatencyRecorder, cpuMs: Double) {
        let topic = "bench.floor.\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await BenchTopics.create([topic], partitions: partitions, bootstrap: bootstrap, logger: logger)
        let configuration = KafkaConfiguration(bootstrapServers: bootstrap, properties: [
            "fetch.wait.max.ms": "\(fetchWaitMs)", "linger.ms": "\(lingerMs)", "socket.nagle.disable": "true",
        ])
        let producer = try KafkaProducer(configuration: configuration.with(["fetch.wait.max.ms": ""]), logger: logger)
        try await producer.prepare(topics: [topic])
        let consumer = try KafkaConsumer(configuration: configuration.with(["linger.ms": ""]), groupID: "bench-floor-\(UUID())", logger: logger)
        let latency = LatencyRecorder()
        try consumer.assign(try await consumer.endOffsets(topic: topic)) { record in
            let now = ContinuousClock.now
            guard let value = record.value, value.count == 16 else { return }
            let nanos = value.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
            let d = now - ContinuousClock.Instant.zeroOffset(nanos)
            latency.record(ms: d.inMilliseconds)
        }
        let count = self.count
        let start = ContinuousClock.now
        let cpu = RunCPU()
        await PacedSender.run(count: count, rate: rate) { i in
            var bytes = [UInt8](repeating: 0, count: 16)
            let nanos = ContinuousClock.Instant.nanosSinceZero(.now)
            withUnsafeBytes(of: nanos) { raw in for j in 0..<8 { bytes[j] = raw[j] } }
            _ = try? await producer.send(KafkaOutgoingRecord(topic: topic, key: Array(String(i).utf8), value: bytes))
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while latency.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let elapsed = ContinuousClock.now - start
        let cpuMs = cpu.msPerRequest(latency.count)
        await consumer.close()
        await producer.close()
        let seconds = elapsed.inSeconds
        return (Double(latency.count) / seconds, latency, cpuMs)
    }
}

extension ContinuousClock.Instant {
    private static let origin = ContinuousClock.now

    /// Nanoseconds since a fixed point of this process, to carry an instant in a payload.
    static func nanosSinceZero(_ instant: ContinuousClock.Instant) -> Int64 {
        let d = instant - origin
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    static func zeroOffset(_ nanos: Int64) -> ContinuousClock.Instant {
        origin + .nanoseconds(nanos)
    }
}
