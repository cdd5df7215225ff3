import Foundation
import HTTPClient
import Kafka
import Logging
import ProviderSimulator
import Switchboard
import Testing

/// `switchboard run completer` as a child process, killed with SIGKILL in the middle of 5,000
/// requests and started again.
extension CompleterLoadTests {
@Suite("completer killed with SIGKILL", .serialized, .timeLimit(.minutes(5)))
struct CompleterKillTests {
    @Test("kill -9 during 5,000 requests, restart: every request gets exactly one reply, the provider saw only the in-flight ones twice")
    func killAndRestart() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var simConfig = SimulatorConfiguration()
        simConfig.defaultBehaviour = RouteBehaviour(latency: .fixed(milliseconds: 100))
        let (simulator, simTask, simPort) = try await PipelineHarness.startSimulator(simConfig)
        defer { simTask.cancel() }
        let id = UUID().uuidString.prefix(8).lowercased()
        let yaml = """
        kafka:
          bootstrap_servers: \(try PipelineHarness.bootstrap())
          consumer_properties: {fetch.wait.max.ms: "1", session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
          producer_properties: {linger.ms: "1", compression.type: lz4}
          group_prefix: kill-\(id)
        redis: {url: "\(PipelineHarness.redisURL)", command_timeout_ms: 5000}
        topics: {requests: kill.\(id).requests, route: kill.\(id).route, complete: kill.\(id).complete, results: kill.\(id).results, usage: kill.\(id).usage, dead_letter: kill.\(id).dlq}
        providers:
          - {name: sim, base_url: "http://127.0.0.1:\(simPort)", timeout_ms: 30000}
        models:
          - {name: sim-small, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60"}
        completer:
          window: 500
          max_in_flight: 1000
          idempotency: {in_flight_ttl_ms: 10000, poll_ms: 100, key_prefix: "kill:\(id):"}
          # One attempt per request: a retry would also reach the provider twice and hide what the kill did.
          retry: {max_attempts: 1}
        """
        let fixture = try await ChildPipeline.prepare(yaml: yaml, name: "kill-\(id)", logger: logger)
        defer { fixture.cleanUp() }
        let (runtime, producer, topics) = (fixture.runtime, fixture.producer, fixture.config.topics)
        var completer = try fixture.launch(["run", "completer", "--metrics-port", "0"])
        let count = 5_000
        let ids = (0..<count).map { "kill-\(id)-\($0)" }
        let principal = Principal(tenant: "acme", keyID: "acme-key")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for requestID in ids {
                group.addTask {
                    let request = ChatRequest(messages: [ChatMessage(role: "user", content: "q \(requestID)")], maxTokens: 8)
                    try await producer.send(CompletionTask.record(requestID: requestID, principal: principal, request: request,
                                                                  replyTo: topics.results, topic: topics.complete))
                }
            }
            try await group.waitForAll()
        }
        // Kill once the provider has answered part of the requests.
        let deadline = ContinuousClock.now + .seconds(60)
        while simulator.stats().totalRequests < count / 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(completer.processIdentifier, SIGKILL)
        completer.waitUntilExit()
        // Requests the dead process sent may still sit in the simulator's socket buffers: wait
        // until the simulator has seen nothing new for a second (a busy machine is slow here).
        var settled = simulator.stats().totalRequests
        for _ in 0..<20 {
            try await Task.sleep(for: .seconds(1))
            let now = simulator.stats().totalRequests
            if now == settled { break }
            settled = now
        }
        let calledBeforeKill = Set(simulator.stats().requestsByRequestId.keys)
        let seenAtKill = calledBeforeKill.count
        #expect(seenAtKill < count, "the kill came in the middle")
        completer = try fixture.launch(["run", "completer", "--metrics-port", "0"])
        defer { if completer.isRunning { completer.terminate() } }

        let replies = try await PipelineHarness.readAll(topics.results, runtime: runtime, logger: logger, atLeast: count, settle: .seconds(3),
                                                        timeout: .seconds(150)) { $0.header(CEHeader.requestID) }
        completer.terminate()
        completer.waitUntilExit()
        await producer.close()

        var byRequest: [String: [KafkaRecord]] = [:]
        for record in replies { byRequest[record.header(CEHeader.requestID) ?? "", default: []].append(record) }
        #expect(Set(byRequest.keys) == Set(ids), "every request answered: \(byRequest.count) of \(count)")
        // Exactly one reply as the caller sees it: copies (re-emitted stored replies) are the same event.
        let copies = byRequest.values.filter { $0.count > 1 }
        #expect(copies.allSatisfy { Set($0.map { $0.header(CEHeader.id) }).count == 1 && Set($0.map(\.value)).count == 1 })
        let stats = simulator.stats()
        let twice = ids.filter { (stats.requestsByRequestId[$0] ?? 0) > 1 }
        #expect(ids.allSatisfy { (stats.requestsByRequestId[$0] ?? 0) >= 1 })
        #expect(twice.count <= 1000, "only requests in flight at the kill (at most max_in_flight) reach the provider twice")
        #expect(twice.allSatisfy { calledBeforeKill.contains($0) }, "a request first called after the restart is called once")
        let errors = byRequest.values.compactMap { $0.first?.decoded(Reply.self) }.filter { $0.status == .error }
        let errorReplies = errors.count
        if let sample = errors.first?.error { print("kill -9: error replies, e.g. \(sample.code.rawValue): \(sample.message)") }
        print("kill -9: \(errorReplies) error replies; provider had seen \(seenAtKill) requests at the kill; \(twice.count) requests reached the provider twice (in flight at the kill); \(copies.count) replies were re-emitted copies of a stored reply (same ce_id)")
    }
}
}
