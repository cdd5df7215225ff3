import ArgumentParser
import Switchboard

extension BenchCommand {
    /// `switchboard bench codec`
    struct Codec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The JSON work of one request, operation by operation (µs per call; no services needed).")

        @Option(name: .long, help: "Calls per operation and round.")
        var iterations: Int = 20_000

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try CodecBenchmark(iterations: max(1, iterations)).run(catalog: try options.loadCatalog())
        }
    }
}
