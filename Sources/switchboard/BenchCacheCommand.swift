import ArgumentParser
import Foundation
import Logging
import Switchboard

extension BenchCommand {
    /// `switchboard bench cache`
    struct Cache: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prompt-cache hits end to end through the pipeline (Kafka, Redis): hits/s, added latency p50/p99.")

        @Option(name: .long, help: "Cache hits to send.")
        var count: Int = 30_000

        @Option(name: .long, help: "Requests per second (0: as fast as possible).")
        var rate: Double = 0

        @Flag(name: .long, inversion: .prefixedNo, help: "Keep the request-id ledger on in the completer, as in production.")
        var idempotency = true

        @Flag(name: .long, inversion: .prefixedNo, help: "Let the gateway answer exact hits (cache.gateway_lookup); off: the completer does, one Kafka hop later.")
        var gatewayLookup = true

        @Option(name: .long, help: "Consumer fetch.wait.max.ms (the dev broker holds an empty fetch this long).")
        var fetchWaitMs: Int = 1

        @Option(name: .long, help: "Partitions of each topic of the run, created on the dev broker (0: the broker's auto-creation, 4 on the dev broker).")
        var partitions: Int = 16

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let config = try options.load()
            let base = PipelineBenchmark(bootstrap: config.resolvedBootstrapServers(), count: count, rate: rate, fetchWaitMs: fetchWaitMs,
                                          partitions: partitions, logger: Logger(label: "switchboard.bench"))
            let redisURL = ProcessInfo.processInfo.environment["REDIS_URL"] ?? config.redis.url
            try await CacheBenchmark(base: base, redisURL: redisURL, idempotency: idempotency, gatewayLookup: gatewayLookup).run(catalog: try options.loadCatalog())
        }
    }
}
