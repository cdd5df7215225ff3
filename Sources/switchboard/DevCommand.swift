import ArgumentParser
import Foundation
import Kafka
import Logging
import Switchboard

/// `switchboard dev kafka`: the embedded Kafka for development and tests.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Development services.", subcommands: [DevKafkaCommand.self, DevVectorWriterCommand.self])
}

struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Start librdkafka's mock cluster on loopback with the topics of topics/, until SIGTERM.",
        discussion: """
        The mock picks its own broker ports; its bootstrap address is written to \
        $SWITCHBOARD_STATE_DIR/kafka.bootstrap (default ./.run) where the other commands find it, \
        and a relay offers it on 127.0.0.1:9092 (--port). Any Kafka client can connect.
        """)

    @Option(name: .long, help: "Loopback port of the bootstrap relay (0 disables it).")
    var port: Int = 9092

    @Option(name: .long, help: "Number of mock brokers.")
    var brokers: Int = 1

    @Option(name: .long, help: "Topic contracts directory.")
    var topics: String?

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "switchboard.dev-kafka")
        let catalog: TopicCatalog
        do {
            catalog = try TopicCatalog.load(directory: topics ?? TopicCatalog.defaultDirectory())
        } catch {
            throw ValidationError(error.description)
        }
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
        for contract in catalog.contracts.values.sorted(by: { $0.name < $1.name }) {
            let spec = contract.specification(brokers: brokers)
            try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: spec.replicationFactor)
        }
        var relay: TCPRelay?
        if port > 0 {
            let first = cluster.bootstrapServers.split(separator: ",")[0].split(separator: ":")
            do {
                let r = try TCPRelay(port: UInt16(port), targetHost: String(first[0]), targetPort: UInt16(first[1]) ?? 0, logger: logger)
                r.start()
                relay = r
            } catch {
                logger.warning("bootstrap relay not started: \(error); clients use the address in the state file")
            }
        }
        let stateDir = DevState.directory()
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let stateFile = DevState.bootstrapFile()
        try (cluster.bootstrapServers + "\n").write(toFile: stateFile, atomically: true, encoding: .utf8)
        logger.info("dev kafka ready", metadata: [
            "bootstrap": "\(cluster.bootstrapServers)", "relay": "\(relay.map { "127.0.0.1:\($0.port)" } ?? "off")",
            "topics": "\(catalog.contracts.keys.sorted())", "state_file": "\(stateFile)",
        ])
        print("kafka bootstrap: \(cluster.bootstrapServers)" + (relay.map { " (also 127.0.0.1:\($0.port))" } ?? ""))
        fflush(nil)
        let adminFile = DevState.kafkaAdminFile()
        let admin = Task {
            try await DevKafkaAdmin.serve(cluster: cluster, logger: logger) { address in
                do {
                    try (address + "\n").write(toFile: adminFile, atomically: true, encoding: .utf8)
                    logger.info("topic admin listening", metadata: ["address": "\(address)", "state_file": "\(adminFile)"])
                } catch {
                    logger.warning("topic admin address not written: \(error)")
                }
            }
        }
        let signal = await Signals.waitForTermination()
        logger.info("stopping dev kafka", metadata: ["signal": "\(signal)"])
        admin.cancel()
        _ = await admin.result
        try? FileManager.default.removeItem(atPath: adminFile)
        relay?.stop()
        if (try? String(contentsOfFile: stateFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == cluster.bootstrapServers {
            try? FileManager.default.removeItem(atPath: stateFile)
        }
        withExtendedLifetime(cluster) {}
    }
}

/// Waits for SIGTERM or SIGINT without blocking a thread.
enum Signals {
    static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            let once = OnceBox(continuation)
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { once.resume(sig) }
                source.resume()
                Signals.keep.append(source)
            }
        }
    }

    nonisolated(unsafe) static var keep: [any DispatchSourceSignal] = []
}

/// Resumes a continuation at most once, from whichever signal comes first.
final class OnceBox: @unchecked Sendable {
    private var continuation: CheckedContinuation<Int32, Never>?
    private let lock = NSLock()

    init(_ continuation: CheckedContinuation<Int32, Never>) {
        self.continuation = continuation
    }

    func resume(_ value: Int32) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(returning: value)
    }
}
