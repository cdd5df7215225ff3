import ArgumentParser
import Foundation
import Logging
import Switchboard

/// Routes every prompt of a labelled set with the configured router and prints accuracy, the
/// confusion matrix and the cost of the routed choices against the most expensive tier.
struct EvalRoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing", abstract: "Accuracy, confusion matrix and cost of the configured routing on a labelled set.")

    @Option(name: .long, help: "JSON lines: {\"prompt\": ..., \"tier\": ..., optional tenant, metadata, collection, model}.")
    var set: String = "ops/eval/routing-set.jsonl"

    @Option(name: .long, help: "Output tokens assumed per request for the cost comparison.")
    var outputTokens: Int = 300

    @Option(name: .long, help: "Misrouted prompts to list.")
    var showMisses: Int = 20

    @Option(name: .long, help: "Override routing.semantic.threshold (to compare thresholds on one set).")
    var threshold: Double?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        var logger = Logger(label: "switchboard.eval")
        logger.logLevel = .warning
        var config = try options.load()
        if let threshold { config.routing?.semantic?.threshold = threshold }
        guard config.routing != nil else { throw ValidationError("\(options.configPath) has no routing section") }
        let runtime = SwitchboardRuntime(config: config, catalog: try options.loadCatalog(), logger: logger)
        guard let router = try await runtime.makePromptRouter() else { throw ValidationError("no routing configured") }
        let prompts = try RoutingEvaluation.load(path: set)
        let started = ContinuousClock.now
        let result = await RoutingEvaluation.run(prompts, router: router,
                                                 catalog: ModelCatalog(models: config.models, defaultModel: config.defaultModel),
                                                 outputTokens: outputTokens)
        let elapsed = ContinuousClock.now - started
        print(result.formatted(showMisses: showMisses))
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        print(String(format: "\nrouted %d prompts in %.0f ms (%.2f ms per decision, embedding included)", prompts.count, ms, ms / Double(max(1, prompts.count))))
    }
}
