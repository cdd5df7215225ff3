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

/// `switchboard run gateway|router|retriever|completer|embedder|settlement|all`, or several
/// stages separated by commas (`run gateway,completer`).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run pipeline stages until SIGTERM (all = every stage in one process).")

    @Argument(help: "gateway, router, retriever, completer, embedder, settlement (included with gateway), all, or a comma-separated list (gateway,completer)")
    var stage: String

    @Option(name: .long, help: "Port for /metrics, /healthz, /readyz (default from the config; 0 picks one).")
    var metricsPort: Int?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        let roles = try StageRole.parse(list: stage)
        let runtime = SwitchboardRuntime(config: try options.load(), catalog: try options.loadCatalog(),
                                         logger: Logger(label: "switchboard.\(stage)"))
        try await runtime.run(roles: roles, metricsPort: metricsPort)
    }
}

extension StageRole {
    /// The stages of a comma-separated list (`all` for every stage), each once, in pipeline order.
    static func parse(list: String) throws -> [StageRole] {
        var roles: [StageRole] = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if name == "all" {
                roles += StageRole.allCases
            } else if let role = StageRole(rawValue: name) {
                roles.append(role)
            } else {
                throw ValidationError("unknown stage '\(name)' (expected: \(StageRole.allCases.map(\.rawValue).joined(separator: ", ")), all, or a comma-separated list)")
            }
        }
        roles = StageRole.allCases.filter(roles.contains)
        guard !roles.isEmpty else { throw ValidationError("no stage named") }
        return roles
    }
}
