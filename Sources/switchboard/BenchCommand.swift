import ArgumentParser
import Switchboard

/// `switchboard bench ...`: benchmarks that print figures (they are commands, not tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print throughput, latency and memory.",
        subcommands: [])
}
