import Foundation
import HTTPClient
import Logging
import ProviderSimulator

/// `switchboard bench ingress`: OpenAI-style HTTP calls through `switchboard serve` and the
/// whole pipeline in front of an instant provider simulator: by default the ingress admits
/// each call itself (gateway with Redis limits, routing in place) and `switchboard run
/// completer,settlement` answers and settles; with `gatewayStage` the calls go through the
/// requests topic to `run gateway,completer` (gateway stage, settlement, completer). No
/// retrieval, so no model is loaded. The ingress and the pipeline run as child processes
/// so their CPU time and peak RSS are measured apart from the load generator and simulator.
/// Prints throughput at full speed, added latency at a fixed rate, CPU per request and RSS.
public struct IngressBenchmark: Sendable {
    public var base: SwitchboardConfig
    public var executable: String
    public var count: Int
    public var rate: Double
    public var concurrency: Int
    /// Give the tenant rate limits and budgets (a Redis script per request, and settlement).
    public var limits: Bool
    /// Partitions of each topic of the run, created on the dev broker; 0 leaves them to the
    /// broker's auto-creation.
    public var partitions: Int
    /// Calls go through the requests topic to the gateway stage (`gateway.admit_at_ingress: false`).
    public var gatewayStage = false
    /// One process: `serve --stages completer,settlement` instead of `serve` beside `run`.
    public var oneProcess = false
    public var logger: Logger

    /// The stages of the pipeline process.
    var stages: String { gatewayStage ? "gateway,completer" : "completer,settlement" }

    public init(base: SwitchboardConfig, executable: String, count: Int, rate: Double, concurrency: Int, limits: Bool = true,
                partitions: Int = 16, logger: Logger) {
        self.partitions = partitions
        self.limits = limits
        self.base = base
        self.executable = executable
        self.count = count
        self.rate = rate
        self.concurrency = concurrency
        self.logger = logger
    }

    func configYAML(id: String, simulatorPort: Int, key: String, metricsPort: Int) -> String {
        """
        kafka:
          bootstrap_servers: \(base.resolvedBootstrapServers())
          properties: {socket.nagle.disable: "true"}
          consumer_properties: {fetch.wait.max.ms: "1", session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
          producer_properties: {linger.ms: "0"}
          group_prefix: bench-\(id)
        redis: {url: "\(base.redis.url)", key_prefix: "bench-\(id)", pool_size: \(base.redis.poolSize)}
        metrics: {port: \(metricsPort)}
        topics: {requests: bench.\(id).requests, complete: bench.\(id).complete, results: bench.\(id).results, usage: bench.\(id).usage, dead_letter: bench.\(id).dlq}
        tenants:
          - id: bench
            \(limits ? #"limits: {requests_per_minute: 10000000, tokens_per_minute: 10000000000, daily_budget_usd: "1000000"}"# : "")
            keys: [{id: bench-key, sha256: \(KeyStore.hash(key))}]
        providers:
          - {name: sim, base_url: "http://127.0.0.1:\(simulatorPort)", timeout_ms: 10000}
        models:
          - {name: sim-small, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60"}
        gateway: {ingress_reply_prefix: "bench.\(id).ingress-", admit_at_ingress: \(!gatewayStage)}
        """
    }

    public func run() async throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        var simConfig = SimulatorConfiguration()
        simConfig.port = 0
        let simulator = ProviderSimulator(configuration: simConfig, logger: logger)
        let simTask = Task { try await simulator.run() }
        defer { simTask.cancel() }
        let simPort = try await simulator.boundPort
        let key = "sk-sb-bench-\(id)"
        let metricsPort = ChildProcess.freePort(), ingressPort = ChildProcess.freePort()
        let configPath = NSTemporaryDirectory() + "switchboard-bench-ingress-\(id).yaml"
        try configYAML(id: String(id), simulatorPort: simPort, key: key, metricsPort: metricsPort)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let bootstrap = base.resolvedBootstrapServers()
        print(try await BenchTopics.create(["requests", "complete", "results", "usage", "dlq", "ingress-bench"].map { "bench.\(id).\($0)" },
                                           partitions: partitions, bootstrap: bootstrap, logger: logger))
        let logDir = NSTemporaryDirectory()
        let serveArguments = ["serve", "--config", configPath, "--port", "\(ingressPort)", "--instance", "bench"]
        let children: [ChildProcess]
        if oneProcess {
            children = [try ChildProcess(name: "serve --stages \(stages)", executable: executable,
                                         arguments: serveArguments + ["--stages", stages], logPath: logDir + "bench-\(id)-serve.log")]
        } else {
            let pipeline = try ChildProcess(name: "run \(stages)", executable: executable,
                                            arguments: ["run", stages, "--config", configPath], logPath: logDir + "bench-\(id)-run.log")
            let ingress = try ChildProcess(name: "serve", executable: executable, arguments: serveArguments,
                                           logPath: logDir + "bench-\(id)-serve.log")
            children = [pipeline, ingress]
        }
        defer { for child in children.reversed() { child.stop() } }
        let http = HTTPClient(logger: logger)
        defer { http.shutdown() }
        let url = "http://127.0.0.1:\(ingressPort)/v1/chat/completions"
        let headers = HTTPHeaders([("content-type", "application/json"), ("authorization", "Bearer \(key)")])
        @Sendable func call(_ i: Int) async -> (ok: Bool, ms: Double) {
            let body = Array(#"{"model":"sim-small","messages":[{"role":"user","content":"Benchmark question number \#(i)?"}],"max_tokens":16}"#.utf8)
            let start = ContinuousClock.now
            let response = try? await http.execute(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: .seconds(30)))
            return (response?.status == 200, elapsedMs(since: start))
        }
        // Ready once a call succeeds end to end (the pipeline's consumer groups take seconds to join).
        print("bench ingress: waiting for \(children.map { "`\($0.name)`" }.joined(separator: " and ")) (logs in \(logDir)bench-\(id)-*.log)")
        let deadline = ContinuousClock.now + .seconds(90)
        while await !call(-1).ok {
            guard ContinuousClock.now < deadline, children.allSatisfy(\.isRunning) else {
                throw StartupError("the pipeline did not answer within 90 s; see \(logDir)bench-\(id)-*.log")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        for i in 0..<200 { _ = await call(i) }   // warm-up

        // A fixed rate first: latency added by ingress + pipeline (the simulator answers at
        // once). It runs before the full-speed phase because on the dev broker every fetch
        // scans the partition's log from its start: after the full-speed phase the paced calls
        // would measure that scan (a real cluster indexes its logs).
        let paced = LatencyRecorder()
        let pacedFailures = LatencyRecorder()
        let cpu1 = children.map { $0.cpuSeconds() }
        let threads1 = children.map { ThreadCPU.snapshot(pid: $0.pid) }
        let others = RunCPU()
        let pacedCount = min(count, Int(rate * 10))
        await PacedSender.run(count: pacedCount, rate: rate) { i in
            let result = await call(i)
            if result.ok { paced.record(ms: result.ms) } else { pacedFailures.record(ms: result.ms) }
        }
        let pacedCPU = zip(children, cpu1).map { $0.cpuSeconds() - $1 }.reduce(0, +)
        print(String(format: "at %.0f requests/s: %d/%d ok; added latency %@; CPU per request %.3f ms", rate, paced.count, pacedCount,
                     paced.summary(), pacedCPU * 1000 / Double(max(1, paced.count))))
        for (child, before) in zip(children, threads1) {
            print("  \(child.name) CPU by thread, ms per request: " + ThreadCPU.summary(ThreadCPU.snapshot(pid: child.pid).since(before), requests: paced.count))
        }
        print("  " + others.alongside(requests: paced.count, thisProcess: Self.benchProcess).dropFirst(2))

        // Full speed with `concurrency` calls in flight.
        let cpu0 = children.map { $0.cpuSeconds() }
        let fullOthers = RunCPU()
        let full = LatencyRecorder()
        let start = ContinuousClock.now
        let (count, concurrency) = (self.count, self.concurrency)
        let failures = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var failed = 0
                    for i in stride(from: worker, to: count, by: concurrency) {
                        let result = await call(i)
                        if result.ok { full.record(ms: result.ms) } else { failed += 1 }
                    }
                    return failed
                }
            }
            return await group.reduce(0, +)
        }
        let seconds = elapsedMs(since: start) / 1000
        let cpu = zip(children, cpu0).map { $0.cpuSeconds() - $1 }
        print(String(format: "full speed, %d calls in flight: %d/%d ok, %.0f requests/s; latency %@", concurrency, full.count, count,
                     Double(full.count) / seconds, full.summary()))
        let perRequest = cpu.map { $0 * 1000 / Double(max(1, full.count)) }
        print(String(format: "  CPU per request: %.3f ms in total (", perRequest.reduce(0, +))
              + zip(children, perRequest).map { String(format: "%@ %.3f ms", $0.name, $1) }.joined(separator: ", ") + ")"
              + fullOthers.alongside(requests: full.count, thisProcess: Self.benchProcess))
        print("peak RSS: " + children.map { String(format: "%@ %.0f MiB", $0.name, $0.peakRSSMiB()) }.joined(separator: ", "))
        if failures + pacedFailures.count > 0 {
            print("failed calls: \(failures) at full speed, \(pacedFailures.count) paced")
        }
    }

    /// What the bench's own process runs: its CPU is reported beside the children's.
    static let benchProcess = "load generator and simulator"
}
