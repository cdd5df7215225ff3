import ArgumentParser
import Foundation
import Logging
import ProviderSimulator
import Switchboard
import Yams

/// `switchboard simulate-provider`: a scripted stand-in for OpenAI and Anthropic.
struct SimulateProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-provider",
        abstract: "Serve OpenAI- and Anthropic-compatible APIs with scripted latency and faults.")

    @Option(name: .long, help: "Port on 127.0.0.1 (0 picks one).")
    var port: Int = 8089

    @Option(name: .long, help: "Fixed latency per answer in milliseconds.")
    var latencyMs: Double = 0

    @Option(name: .long, help: "Fraction of chat calls answered with HTTP 500 (0...1).")
    var errorRate: Double = 0

    @Option(name: .long, help: "Seed of the fault generator (same seed, same outcomes).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "A YAML file with the full simulator configuration (overrides the flags above).")
    var config: String?

    func run() async throws {
        JSONLogHandler.bootstrap()
        var configuration = SimulatorConfiguration()
        if let config {
            guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                throw ValidationError("cannot read \(config)")
            }
            configuration = try YAMLDecoder().decode(SimulatorConfiguration.self, from: text)
        } else {
            configuration.port = port
            configuration.seed = seed
            if latencyMs > 0 { configuration.defaultBehaviour.latency = .fixed(milliseconds: latencyMs) }
            if errorRate > 0 { configuration.defaultBehaviour.errorRates = [500: errorRate] }
        }
        let simulator = ProviderSimulator(configuration: configuration, logger: Logger(label: "switchboard.simulator"))
        let server = Task { try await simulator.run() }
        let bound = try await simulator.boundPort
        print("provider simulator on http://\(configuration.host):\(bound)")
        fflush(nil)
        _ = await Signals.waitForTermination()
        server.cancel()
        _ = await server.result
    }
}
