import Foundation
import Kafka
import Logging
import Switchboard

/// What a test needs to run the `switchboard` binary as a child process: its config file, the
/// same config loaded here, a runtime for readers, and a producer with the topics prepared.
struct ProcessFixture {
    let configPath: String
    let config: SwitchboardConfig
    let runtime: SwitchboardRuntime
    let producer: KafkaProducer

    init(yaml: String, name: String, logger: Logger) async throws {
        configPath = NSTemporaryDirectory() + "switchboard-\(name).yaml"
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        config = try SwitchboardConfig.load(path: configPath)
        runtime = SwitchboardRuntime(config: config, catalog: try PipelineHarness.topicCatalog(), logger: logger)
        producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        let topics = config.topics
        try await producer.prepare(topics: [topics.requests, topics.complete, topics.results, topics.usage, topics.deadLetter])
    }

    /// Starts `switchboard <arguments> --config <file> --topics <contracts>`, its stderr discarded.
    func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RunAllProcessTests.binary())
        process.arguments = arguments + ["--config", configPath, "--topics", PipelineHarness.repositoryRoot() + "/topics"]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    func removeConfig() {
        try? FileManager.default.removeItem(atPath: configPath)
    }
}
