import Foundation
import HTTPClient
import Kafka
import Logging
import Switchboard

/// What tests that run the `switchboard` binary as child processes share: a config file, the
/// clients to feed the pipeline, and waiting for a child to be ready.
struct ChildPipeline {
    let configPath: String
    let config: SwitchboardConfig
    let runtime: SwitchboardRuntime
    let producer: KafkaProducer

    /// Writes `yaml` to a temporary file (removed by `cleanUp`), loads it, and prepares the topics.
    static func prepare(yaml: String, name: String, logger: Logger) async throws -> ChildPipeline {
        let configPath = NSTemporaryDirectory() + "switchboard-\(name).yaml"
        // An embedded vector index of its own, never the project's .run/vectors (which a
        // developer's pipeline may own and fill).
        let ownStore = yaml.contains("vector_store:") ? yaml
            : yaml + "\nvector_store: {kind: embedded, path: \"\(NSTemporaryDirectory())switchboard-\(name)-vectors\"}\n"
        try ownStore.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try SwitchboardConfig.load(path: configPath)
        let runtime = SwitchboardRuntime(config: config, catalog: try PipelineHarness.topicCatalog(), logger: logger)
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: logger)
        let topics = config.topics
        try await producer.prepare(topics: [topics.requests, topics.route, topics.complete, topics.results, topics.usage, topics.deadLetter])
        return ChildPipeline(configPath: configPath, config: config, runtime: runtime, producer: producer)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: configPath)
    }

    /// Starts `switchboard <arguments> --config <file> --topics <contracts>`; its stderr (the
    /// JSON log) goes to `logPath`, or is discarded.
    func launch(_ arguments: [String], logPath: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RunAllProcessTests.binary())
        process.arguments = arguments + ["--config", configPath, "--topics", PipelineHarness.repositoryRoot() + "/topics"]
        if let logPath { FileManager.default.createFile(atPath: logPath, contents: nil) }
        process.standardError = FileHandle(forWritingAtPath: logPath ?? "/dev/null")
        try process.run()
        return process
    }

    /// Runs the `switchboard` binary to completion; its exit status and output (stdout and stderr).
    static func runBinary(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RunAllProcessTests.binary())
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// True once `/readyz` on `port` answers 200 (30 s at most).
    static func waitReady(port: Int) async throws -> Bool {
        for _ in 0..<300 {
            let response = try? await HTTPClientBox.shared.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/readyz", timeout: .seconds(1)))
            if response?.status == 200 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Runs blocking `body` (reading a child's output to its end, waiting for it to exit) on a
/// thread of its own. The test process has only as many cooperative threads as cores (two
/// here), and one blocked for a child's lifetime stalls every other suite's servers and
/// simulators running at the same time.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Lets a `Process` or `Pipe` be used from `offPool`'s thread.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}
