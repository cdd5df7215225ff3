import ArgumentParser
import Foundation
import Kafka
import Logging
import Switchboard

/// `switchboard topics apply|check`: the topic contracts as migrations.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Apply the contracts in topics/ to a cluster, or report drift.",
        subcommands: [Apply.self, Check.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the topics that are missing.")
        @OptionGroup var options: ConfigOptions
        @Option(name: .long, help: "Brokers in the cluster (caps the replication factor).")
        var brokers: Int = 3

        func run() async throws {
            let (admin, catalog) = try TopicsCommand.connect(options)
            let existing = try await admin.describeTopics()
            let missing = catalog.contracts.values.filter { existing[$0.name] == nil }.sorted { $0.name < $1.name }
            if missing.isEmpty {
                print("all \(catalog.contracts.count) topics exist")
                return
            }
            let results = try await admin.createTopics(missing.map { $0.specification(brokers: brokers) })
            var failed = false
            for contract in missing {
                if case .some(.some(let error)) = results[contract.name] {
                    print("FAILED  \(contract.name): \(error.message)")
                    failed = true
                } else {
                    print("created \(contract.name) (\(contract.partitions) partitions)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report missing topics and partition-count drift; exit 1 on drift.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let (admin, catalog) = try TopicsCommand.connect(options)
            let existing = try await admin.describeTopics()
            var drift = 0
            for contract in catalog.contracts.values.sorted(by: { $0.name < $1.name }) {
                guard let actual = existing[contract.name] else {
                    print("MISSING \(contract.name)")
                    drift += 1
                    continue
                }
                if actual.partitions != contract.partitions {
                    print("DRIFT   \(contract.name): \(actual.partitions) partitions, contract says \(contract.partitions)")
                    drift += 1
                } else {
                    print("ok      \(contract.name) (\(actual.partitions) partitions)")
                }
            }
            if drift > 0 { throw ExitCode(1) }
        }
    }

    static func connect(_ options: ConfigOptions) throws -> (KafkaAdmin, TopicCatalog) {
        let config = try options.load()
        let catalog = try options.loadCatalog()
        let runtime = SwitchboardRuntime(config: config, catalog: catalog, logger: Logger(label: "switchboard.topics"))
        return (try KafkaAdmin(configuration: runtime.producerConfiguration, logger: runtime.logger), catalog)
    }
}
