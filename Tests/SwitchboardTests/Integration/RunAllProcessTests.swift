import Foundation
import HTTPClient
import Kafka
import Logging
import ProviderSimulator
import Switchboard
import Testing

/// The shipped binary as an operator runs it: `switchboard run all` in its own process,
/// configured by a YAML file, stopped with SIGTERM.
@Suite("switchboard run all (separate process)", .serialized, .timeLimit(.minutes(5)))
struct RunAllProcessTests {
    static func binary() throws -> String {
        let path = PipelineHarness.repositoryRoot() + "/.build/debug/switchboard"
        guard FileManager.default.isExecutableFile(atPath: path) else { throw HarnessError("build the binary first (swift build)") }
        return path
    }

    static func freePort() -> Int { Int.random(in: 20_000...40_000) }

    @Test("1,000 requests through `run all`: 1,000 replies, no duplicates, /metrics counts them, SIGTERM commits to the end")
    func thousandThroughRunAll() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simTask = Task { try await simulator.run() }
        defer { simTask.cancel() }
        let simPort = try await simulator.boundPort
        let id = UUID().uuidString.prefix(8).lowercased()
        let key = "sk-sb-runall-\(id)"
        let metricsPort = Self.freePort()
        let yaml = """
        kafka:
          bootstrap_servers: \(try PipelineHarness.bootstrap())
          consumer_properties: {fetch.wait.max.ms: "1", session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
          producer_properties: {linger.ms: "1", compression.type: lz4}
          group_prefix: runall-\(id)
        redis: {url: "\(ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")", command_timeout_ms: 5000}
        metrics: {port: \(metricsPort)}
        topics: {requests: runall.\(id).requests, route: runall.\(id).route, retrieve: runall.\(id).retrieve, complete: runall.\(id).complete, results: runall.\(id).results, usage: runall.\(id).usage, dead_letter: runall.\(id).dlq}
        tenants:
          - id: acme
            keys: [{id: acme-key, sha256: \(KeyStore.hash(key))}]
        providers:
          - {name: sim, base_url: "http://127.0.0.1:\(simPort)"}
        models:
          - {name: sim-small, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60"}
        """
        let child = try await ChildPipeline.prepare(yaml: yaml, name: "runall-\(id)", logger: logger)
        defer { child.cleanUp() }
        let (config, runtime, producer) = (child.config, child.runtime, child.producer)
        let topics = config.topics

        let logPath = NSTemporaryDirectory() + "switchboard-runall-\(id).log"
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let process = try child.launch(["run", "all"], logPath: logPath)
        defer { if process.isRunning { process.terminate() } }

        let http = HTTPClientBox.shared
        let base = "http://127.0.0.1:\(metricsPort)"
        let ready = try await ChildPipeline.waitReady(port: metricsPort)
        #expect(ready, "run all did not become ready")
        let health = try await http.execute(HTTPRequest(url: base + "/healthz"))
        #expect(health.status == 200)

        let reader = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: topics.results, logger: logger)
        let ids = (0..<1000).map { "runall-\(id)-\($0)" }
        let replies = try await withThrowingTaskGroup(of: Reply?.self) { group in
            for requestID in ids {
                group.addTask {
                    let record = RequestEvents.make(ChatRequest(messages: [ChatMessage(role: "user", content: "q \(requestID)")], maxTokens: 8),
                                                    apiKey: key, topic: topics.requests, requestID: requestID)
                    try await producer.send(record)
                    let arrival = try await reader.wait(for: requestID, timeout: .seconds(60))
                    return arrival.record.value.flatMap { try? EventCoding.decode(Reply.self, from: $0) }
                }
            }
            var all: [Reply] = []
            for try await reply in group { if let reply { all.append(reply) } }
            return all
        }
        await reader.close()
        #expect(replies.count == 1000)
        #expect(Set(replies.map(\.requestID)) == Set(ids))
        #expect(replies.allSatisfy { $0.status == .ok })

        let metrics = try await http.execute(HTTPRequest(url: base + "/metrics")).bodyText
        #expect(metrics.contains(#"switchboard_records_consumed_total{stage="gateway"} 1000"#))
        #expect(metrics.contains(#"switchboard_records_consumed_total{stage="completer"} 1000"#))
        #expect(metrics.contains(#"switchboard_replies_total{stage="completer",status="ok",code=""} 1000"#))
        #expect(metrics.contains("switchboard_stage_duration_seconds_bucket"))
        #expect(metrics.contains("switchboard_provider_duration_seconds_bucket"))
        #expect(metrics.contains("switchboard_tokens_total"))
        #expect(metrics.contains("switchboard_cost_picousd_total"))

        // Graceful stop: the process drains, commits and exits cleanly.
        process.terminate()
        let running = Unchecked(value: process)
        await offPool { running.value.waitUntilExit() }
        #expect(process.terminationStatus == 0)

        // One JSON line per request at the gateway, lines at the end of the pipeline, and never the key.
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(!log.contains(key), "the log carries the API key")
        #expect(!log.contains("q runall-"), "the log carries prompt text (gateway.log_prompts is off)")
        let lines = log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
        let requestLines = lines.filter { $0["msg"]?.stringValue == "request" }
        let gateway = requestLines.filter { $0["stage"]?.stringValue == "gateway" }
        let completer = requestLines.filter { $0["stage"]?.stringValue == "completer" }
        #expect(Set(gateway.compactMap { $0["request_id"]?.stringValue }) == Set(ids))
        #expect(gateway.allSatisfy { $0["tenant"]?.stringValue == "acme" && $0["key_id"]?.stringValue == "acme-key" && $0["latency_ms"] != nil })
        #expect(!completer.isEmpty)
        #expect(completer.allSatisfy { $0["outcome"]?.stringValue == "answered" && $0["key_id"]?.stringValue == "acme-key" })
        for (group, topic) in [("runall-\(id)-gateway", topics.requests), ("runall-\(id)-router", topics.route), ("runall-\(id)-completer", topics.complete)] {
            let consumer = try KafkaConsumer(configuration: runtime.consumerConfiguration, groupID: group, logger: logger)
            let end = try await consumer.endOffsets(topic: topic)
            let committed = try await consumer.committed(Array(end.keys))
            await consumer.close()
            for (partition, endOffset) in end where endOffset > 0 {
                #expect(committed[partition] == endOffset, "\(group) \(partition): committed \(committed[partition] ?? -1), end \(endOffset)")
            }
        }
        await producer.close()
    }
}

@Suite("start-up errors")
struct StartupErrorTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildPipeline.runBinary(arguments)
    }

    func writeConfig(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "switchboard-startup-\(UUID()).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Redis down at start-up: the process exits with a message naming the address")
    func redisDown() throws {
        let path = try writeConfig("""
        kafka: {bootstrap_servers: "\(try PipelineHarness.bootstrap())"}
        redis: {url: "redis://127.0.0.1:1"}
        metrics: {port: 0}
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["run", "all", "--config", path, "--topics", PipelineHarness.repositoryRoot() + "/topics"])
        #expect(result.status != 0)
        #expect(result.output.contains("redis at 127.0.0.1:1 is not reachable"))
    }

    @Test("a bad config value stops start-up with the file and key named")
    func badConfig() throws {
        let path = try writeConfig("completer: {window: 0}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["run", "all", "--config", path])
        #expect(result.status != 0)
        #expect(result.output.contains("completer.window: must be at least 1"))
        #expect(result.output.contains(path))
    }
}
