import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard bench ...`: benchmarks that print figures (they are commands, not tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print throughput, latency and memory.",
        subcommands: [Pipeline.self, Completer.self, Ingress.self, Embed.self, Cache.self, Vectors.self, Codec.self])

    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests at a fixed rate through gateway and completer (instant simulator), and the bare-hop floor.")

        @Option(name: .long, help: "Requests to send.")
        var count: Int = 10_000

        @Option(name: .long, help: "Requests per second (0: as fast as possible).")
        var rate: Double = 1000

        @Option(name: .long, help: "Producer linger.ms.")
        var lingerMs: Int = 0

        @Flag(name: .long, help: "Route in a router stage of its own (one more Kafka hop) instead of in the gateway.")
        var routerStage = false

        @Option(name: .long, help: "Consumer fetch.wait.max.ms (the dev broker holds an empty fetch this long).")
        var fetchWaitMs: Int = 1

        @Option(name: .long, help: "Partitions of each topic of the run, created on the dev broker (0: the broker's auto-creation, 4 on the dev broker).")
        var partitions: Int = 16

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let config = try options.load()
            let benchmark = PipelineBenchmark(bootstrap: config.resolvedBootstrapServers(), count: count, rate: rate,
                                              lingerMs: lingerMs, fetchWaitMs: fetchWaitMs, routerStage: routerStage,
                                              partitions: partitions, logger: Logger(label: "switchboard.bench"))
            try await benchmark.run(catalog: try options.loadCatalog())
        }
    }

    struct Completer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tasks at a fixed rate through one completer in front of a slow simulator: requests/s, in flight, p50/p99, RSS.")

        @Option(name: .long, help: "Requests to send.")
        var count: Int = 60_000

        @Option(name: .long, help: "Requests per second.")
        var rate: Double = 2000

        @Option(name: .long, help: "Simulator latency before each answer, in ms.")
        var latencyMs: Int = 500

        @Option(name: .long, help: "Records in flight per partition (the config's completer.window otherwise).")
        var window: Int?

        @Option(name: .long, help: "Use a simulator already running elsewhere (e.g. `switchboard simulate-provider --latency-ms 500`).")
        var providerURL: String?

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            var config = try options.load()
            if let window {
                config.completer.window = window
                config.completer.maxInFlight = max(config.completer.maxInFlight, window * 4)
            }
            let benchmark = CompleterBenchmark(config: config, count: count, rate: rate, providerLatencyMs: latencyMs,
                                               providerURL: providerURL, logger: Logger(label: "switchboard.bench"))
            try await benchmark.run(catalog: try options.loadCatalog())
        }
    }

    struct Ingress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "OpenAI-style HTTP calls through `serve` and `run completer,settlement` (child processes) in front of an instant simulator.")

        @Option(name: .long, help: "Calls at full speed (and at most 10 s worth at --rate).")
        var count: Int = 20_000

        @Option(name: .long, help: "Calls per second of the fixed-rate latency run.")
        var rate: Double = 1000

        @Option(name: .long, help: "Calls in flight at full speed.")
        var concurrency: Int = 64

        @Flag(name: .long, inversion: .prefixedNo, help: "Give the tenant rate limits and budgets (a Redis script per request).")
        var limits = true

        @Option(name: .long, help: "Partitions of each topic of the run, created on the dev broker (0: the broker's auto-creation, 4 on the dev broker).")
        var partitions: Int = 16

        @Flag(name: .long, help: "Send the calls through the requests topic to `run gateway,completer` instead of admitting them in `serve`.")
        var gatewayStage = false

        @Flag(name: .long, help: "Run the stages inside the ingress process (`serve --stages ...`) instead of a `run` process beside it.")
        var oneProcess = false

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            var benchmark = IngressBenchmark(base: try options.load(), executable: executable, count: count, rate: rate,
                                             concurrency: concurrency, limits: limits, partitions: partitions, logger: Logger(label: "switchboard.bench"))
            benchmark.gatewayStage = gatewayStage
            benchmark.oneProcess = oneProcess
            try await benchmark.run()
        }
    }
}
