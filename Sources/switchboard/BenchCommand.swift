import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard bench ...`: benchmarks that print figures (they are commands, not tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print throughput, latency and memory.",
        subcommands: [Pipeline.self, Ingress.self])

    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests at a fixed rate through gateway and completer (instant simulator), and the bare-hop floor.")

        @Option(name: .long, help: "Requests to send.")
        var count: Int = 10_000

        @Option(name: .long, help: "Requests per second (0: as fast as possible).")
        var rate: Double = 1000

        @Option(name: .long, help: "Producer linger.ms.")
        var lingerMs: Int = 1

        @Option(name: .long, help: "Consumer fetch.wait.max.ms (the dev broker holds an empty fetch this long).")
        var fetchWaitMs: Int = 1

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let config = try options.load()
            let benchmark = PipelineBenchmark(bootstrap: config.resolvedBootstrapServers(), count: count, rate: rate,
                                              lingerMs: lingerMs, fetchWaitMs: fetchWaitMs, logger: Logger(label: "switchboard.bench"))
            try await benchmark.run(catalog: try options.loadCatalog())
        }
    }

    struct Ingress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "OpenAI-style HTTP calls through `serve` and `run all` (child processes) in front of an instant simulator.")

        @Option(name: .long, help: "Calls at full speed (and at most 10 s worth at --rate).")
        var count: Int = 20_000

        @Option(name: .long, help: "Calls per second of the fixed-rate latency run.")
        var rate: Double = 1000

        @Option(name: .long, help: "Calls in flight at full speed.")
        var concurrency: Int = 64

        @Flag(name: .long, inversion: .prefixedNo, help: "Give the tenant rate limits and budgets (a Redis script per request).")
        var limits = true

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            let benchmark = IngressBenchmark(base: try options.load(), executable: executable, count: count, rate: rate,
                                             concurrency: concurrency, limits: limits, logger: Logger(label: "switchboard.bench"))
            try await benchmark.run()
        }
    }
}
