import Foundation
import HTTPClient
import Kafka
import Logging
import Switchboard
import Testing

/// The global limit as operators deploy it: three `switchboard run gateway` processes in one
/// consumer group, sharing a tenant's per-minute limit through Redis.
@Suite("Three gateway processes share one limit", .serialized, .timeLimit(.minutes(5)))
struct SharedLimitProcessTests {
    @Test("3 gateway processes admit no more than the tenant's limit in total")
    func threeProcesses() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let id = UUID().uuidString.prefix(8).lowercased()
        let key = "sk-sb-shared-\(id)"
        let limit = 30
        let yaml = """
        kafka:
          bootstrap_servers: \(try PipelineHarness.bootstrap())
          consumer_properties: {fetch.wait.max.ms: "1", session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
          producer_properties: {linger.ms: "1", compression.type: lz4}
          group_prefix: shared-\(id)
        redis: {url: "\(PipelineHarness.redisURL)", key_prefix: "shared-\(id)", command_timeout_ms: 5000}
        topics: {requests: shared.\(id).requests, route: shared.\(id).route, complete: shared.\(id).complete, results: shared.\(id).results, usage: shared.\(id).usage, dead_letter: shared.\(id).dlq}
        tenants:
          - id: shared
            limits: {requests_per_minute: \(limit)}
            keys: [{id: shared-key, sha256: \(KeyStore.hash(key))}]
        providers:
          - {name: sim, base_url: "http://127.0.0.1:1"}
        models:
          - {name: sim-small, provider: sim}
        """
        let child = try await ChildPipeline.prepare(yaml: yaml, name: "shared-\(id)", logger: logger)
        defer { child.cleanUp() }
        let (configPath, config, runtime, producer) = (child.configPath, child.config, child.runtime, child.producer)
        let topics = config.topics

        let ports = (0..<3).map { 20_000 + $0 * 1000 + Int.random(in: 0..<1000) }
        var processes: [Process] = []
        defer { for process in processes where process.isRunning { process.terminate() } }
        for port in ports {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try RunAllProcessTests.binary())
            process.arguments = ["run", "gateway", "--config", configPath, "--metrics-port", String(port),
                                 "--topics", PipelineHarness.repositoryRoot() + "/topics"]
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            processes.append(process)
        }
        for port in ports {
            #expect(try await ChildPipeline.waitReady(port: port), "gateway on \(port) did not become ready")
        }
        // Let the group settle so every process owns partitions.
        try await Task.sleep(for: .seconds(4))
        try await MinuteWindow.awayFromBoundary(margin: .seconds(20))

        let count = 4 * limit
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    let record = RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: "q\(i)")], maxTokens: 8),
                                                    apiKey: key, topic: topics.requests, requestID: "shared-\(id)-\(i)")
                    try await producer.send(record)
                }
            }
            try await group.waitForAll()
        }
        let harness = try await PipelineHarness.readerOnly(runtime: runtime, logger: logger)
        // Without semantic routes each gateway routes in its own process and forwards to the completer's topic.
        // Delivery is at least once: a rebalance while the processes settle can replay a record,
        // so both reads count distinct request ids, not records.
        let forwarded = try await harness.readAll(topics.complete, atLeast: limit, settle: .seconds(2), distinct: { $0.header(CEHeader.id) })
        let rejected = try await harness.readAll(topics.results, atLeast: count - limit, settle: .milliseconds(500),
                                                 distinct: { $0.decoded(Reply.self)?.requestID })
        var consumedBy: [Int] = []
        for port in ports {
            let metrics = try await HTTPClientBox.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics")).bodyText
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"switchboard_records_consumed_total{stage="gateway"}"#) }
            consumedBy.append(line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0)
        }
        for process in processes { process.terminate() }
        await harness.stop()
        await producer.close()

        let forwardedIDs = Set(forwarded.compactMap { $0.header(CEHeader.id) })
        let limited = rejected.compactMap { $0.decoded(Reply.self) }.filter { $0.error?.code == .rateLimited }
        #expect(forwardedIDs.count == limit, "forwarded \(forwardedIDs.count), limit \(limit)")
        #expect(Set(limited.map(\.requestID)).count == count - limit)
        #expect(consumedBy.filter { $0 > 0 }.count >= 2, "work was not shared: \(consumedBy)")
    }
}
