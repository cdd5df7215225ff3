import ArgumentParser
import Foundation
import Logging
import Switchboard

@main
struct SwitchboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "An LLM platform built as an event-driven pipeline over Kafka.",
        subcommands: [RunCommand.self, SubmitCommand.self, DevCommand.self, TopicsCommand.self,
                      SimulateProviderCommand.self, KeysCommand.self, BenchCommand.self, UsageCommand.self, ServeCommand.self,
                      IngestCommand.self, CollectionsCommand.self, ReindexCommand.self, EvalCommand.self])
}

/// Options shared by commands that read the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $SWITCHBOARD_CONFIG, else ops/switchboard.yaml).")
    var config: String?

    @Option(name: .long, help: "Topic contracts directory (default: $SWITCHBOARD_TOPICS_DIR, else ./topics).")
    var topics: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["SWITCHBOARD_CONFIG"] ?? "ops/switchboard.yaml"
    }

    func load() throws -> SwitchboardConfig {
        do {
            return try SwitchboardConfig.load(path: configPath)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func loadCatalog() throws -> TopicCatalog {
        do {
            return try TopicCatalog.load(directory: topics ?? TopicCatalog.defaultDirectory())
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// `switchboard run gateway|router|completer|all`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run pipeline stages until SIGTERM (all = every stage in one process).")

    @Argument(help: "gateway, router, retriever, completer, embedder or all")
    var stage: String

    @Option(name: .long, help: "Port for /metrics, /healthz, /readyz (default from the config; 0 picks one).")
    var metricsPort: Int?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let roles: [StageRole]
        if stage == "all" {
            roles = StageRole.allCases
        } else if let role = StageRole(rawValue: stage) {
            roles = [role]
        } else {
            throw ValidationError("unknown stage '\(stage)' (expected: \(StageRole.allCases.map(\.rawValue).joined(separator: ", ")), all)")
        }
        let runtime = SwitchboardRuntime(config: try options.load(), catalog: try options.loadCatalog(),
                                         logger: Logger(label: "switchboard.\(stage)"))
        try await runtime.run(roles: roles, metricsPort: metricsPort)
    }
}
