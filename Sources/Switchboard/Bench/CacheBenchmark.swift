import Foundation
import HTTPClient
import Kafka
import Logging
import ProviderSimulator
import Redis
import Synchronization

/// `switchboard bench cache`: prompt-cache hits answered end to end through the pipeline
/// (request topic → gateway, which routes and finds the answer in Redis → reply topic; or,
/// with the gateway's lookup off, → completer, which finds it), in this process, on the dev
/// Kafka and Redis. One request primes the cache; then `count`
/// requests with the same prompt (each its own request id) go in at `rate`. Prints hits/s,
/// latency from request sent to reply read, CPU per request and where the time goes.
public struct CacheBenchmark: Sendable {
    public var base: PipelineBenchmark
    public var redisURL: String
    /// Whether the completer also keeps the request-id ledger (two more Redis scripts a request).
    public var idempotency: Bool
    /// Whether the gateway answers exact hits itself (`cache.gateway_lookup`).
    public var gatewayLookup: Bool

    public init(base: PipelineBenchmark, redisURL: String, idempotency: Bool, gatewayLookup: Bool = true) {
        self.gatewayLookup = gatewayLookup
        self.base = base
        self.redisURL = redisURL
        self.idempotency = idempotency
    }

    public func run(catalog: TopicCatalog) async throws {
        let logger = base.logger
        print("bench cache: \(base.count) cache hits at \(base.rate > 0 ? String(format: "%.0f/s", base.rate) : "max rate"), Kafka \(base.bootstrap), Redis \(redisURL), idempotency ledger \(idempotency ? "on" : "off"), hits answered by the \(gatewayLookup ? "gateway" : "completer")")
        let id = UUID().uuidString.prefix(8).lowercased()
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simTask = Task { try await simulator.run() }
        var config = try base.config(id: String(id), simulatorPort: try await simulator.boundPort)
        config.redis.url = redisURL
        config.cache.keyPrefix = "bench:\(id):cache:"
        config.completer.idempotency.enabled = idempotency
        config.completer.idempotency.keyPrefix = "bench:\(id):req:"
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: logger)
        let redis = try await runtime.connectRedis()
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        let topics = config.topics
        print(try await BenchTopics.prepare(topics, producer: producer, partitions: base.partitions, bootstrap: base.bootstrap, logger: logger))
        let http = HTTPClient(logger: logger)
        let runners = [
            // The gateway routes in its own process, as in `run all`.
            StageRunner(stage: try GatewayStage(config: config, catalog: catalog, routing: try await runtime.gatewayRouting(),
                                                cache: gatewayLookup ? PromptCache(redis: redis, settings: config.cache, logger: logger) : nil,
                                                logger: logger),
                        consumer: runtime.consumerConfiguration, producer: producer,
                        options: .init(window: 2000, deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-gateway"), logger: logger),
            StageRunner(stage: runtime.makeCompleter(http: http, redis: redis, producer: producer),
                        consumer: runtime.consumerConfiguration, producer: producer,
                        options: .init(window: 2000, maxInFlight: 8000, deadLetterTopic: topics.deadLetter, groupID: "bench-\(id)-completer"), logger: logger),
        ]
        let tasks = runners.map { runner in Task { try await runner.run() } }
        while !runners.allSatisfy(\.hasPartitions) { try await Task.sleep(for: .milliseconds(20)) }

        let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
        let latency = LatencyRecorder()
        let outcomes = Mutex<[String: Int]>([:])
        let lastArrival = Mutex<ContinuousClock.Instant>(.now)
        let warm = Atomic<Int>(0)
        let parts = StageTimings()
        let reader = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: topics.results, logger: logger) { arrival in
            guard let id = arrival.record.header(CEHeader.requestID), let sent = sentAt.withLock({ $0.removeValue(forKey: id) }) else { return }
            if id.hasPrefix("warm-") {
                warm.add(1, ordering: .relaxed)
                return
            }
            let d = arrival.receivedAt - sent
            latency.record(ms: d.inMilliseconds)
            let reply = arrival.record.value.flatMap { try? EventCoding.decode(Reply.self, from: $0) }
            let outcome = reply?.status == .ok ? (reply?.cache?.outcome.rawValue ?? "none") : "error"
            outcomes.withLock { $0[outcome, default: 0] += 1 }
            parts.record(reply?.timings ?? [:])
            lastArrival.withLock { $0 = arrival.receivedAt }
        }
        @Sendable func request(_ requestID: String) -> KafkaOutgoingRecord {
            RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: "What is the capital of Australia?")], maxTokens: 16, temperature: 0),
                               apiKey: PipelineBenchmark.key, topic: topics.requests, requestID: requestID)
        }
        // Prime the cache (the one miss), then warm connections with a few hits.
        for i in 0..<50 {
            sentAt.withLock { $0["warm-\(id)-\(i)"] = .now }
            try await producer.send(request("warm-\(id)-\(i)"))
            if i == 0 { while warm.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(5)) } }
        }
        while warm.load(ordering: .relaxed) < 50 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(500))

        let cpu = RunCPU()
        let start = ContinuousClock.now
        let count = base.count
        await PacedSender.run(count: count, rate: base.rate) { i in
            let requestID = "bench-\(id)-\(i)"
            sentAt.withLock { $0[requestID] = .now }
            _ = try? await producer.send(request(requestID))
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while latency.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let elapsed = lastArrival.withLock { $0 } - start
        let seconds = elapsed.inSeconds
        let byOutcome = outcomes.withLock { $0 }
        let path = gatewayLookup ? "answered by the gateway, 2 Kafka hops" : "gateway + completer, 3 Kafka hops"
        print("cache hits through the pipeline (\(path), Redis): " + String(format: "%d/%d replies, %.0f requests/s",
                     latency.count, count, Double(latency.count) / seconds)
              + "; outcomes: " + byOutcome.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("  added latency, request sent → reply read: " + latency.summary())
        print(String(format: "  CPU %.3f ms per request (this process: stages, load generator, reader); provider calls during the run: %d; peak RSS %.0f MiB",
                     cpu.msPerRequest(latency.count), simulator.stats().totalRequests - 1, ProcessFigures.peakRSSMiB()))
        print(cpu.byThread(requests: latency.count))
        parts.printTable()
        for runner in runners { runner.requestStop() }
        for task in tasks { _ = await task.result }
        await reader.close()
        await producer.close()
        http.shutdown()
        redis.shutdown()
        simTask.cancel()
    }
}
