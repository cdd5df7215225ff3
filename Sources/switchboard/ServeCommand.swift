import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard serve`: the OpenAI-compatible HTTP ingress.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "HTTP ingress: POST /v1/chat/completions, GET /v1/models, /metrics, /healthz (OpenAI-compatible).")

    @Option(name: .long, help: "Port to listen on (0 picks one).")
    var port: Int = 8080

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "This process's name; its replies arrive on <gateway.ingress_reply_prefix><instance> (default: random).")
    var instance: String?

    @Option(name: .long, help: "Seconds a call waits for its reply before answering 504.")
    var timeout: Double = 60

    @Option(name: .long, help: "Also run these pipeline stages in this process, as `switchboard run` would (comma-separated, e.g. completer,settlement).")
    var stages: String?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        JSONLogHandler.bootstrap()
        var serve = SwitchboardRuntime.ServeOptions()
        serve.host = host
        serve.port = port
        if let instance { serve.instance = instance }
        serve.timeout = .milliseconds(Int(timeout * 1000))
        if let stages { serve.stages = try StageRole.parse(list: stages) }
        let config = try options.load()
        // The gateway run here (in place, or as a stage) validates against the contracts of topics/.
        let catalog = config.gateway.admitAtIngress || serve.stages.contains(.gateway) ? try options.loadCatalog() : TopicCatalog(contracts: [])
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: Logger(label: "switchboard.ingress"))
        try await runtime.serve(serve)
    }
}
