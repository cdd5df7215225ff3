import ArgumentParser
import Foundation
import Kafka
import Logging
import Switchboard

/// `switchboard ingest PATH --collection C`: the batch ingestion job.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Index a directory (each file a document) or a JSON Lines corpus into a collection, through Kafka.",
        discussion: """
        Produces every document to docs.ingest.v1 (key <tenant>/<collection>/<document id>), waits for each \
        acknowledgement on docs.indexed.v1 from the embedder stage (switchboard run embedder, or run all), and \
        prints a summary. Unchanged documents are skipped by the embedder. A document that cannot be read or \
        embedded is listed with its reason and does not stop the job; the exit status is 3 when any failed.
        """)

    @Argument(help: "A directory, or a .jsonl file of {\"id\", \"title\", \"text\", \"metadata\"} records.")
    var path: String

    @Option(name: .long, help: "The collection to index into (letters, digits, _ - .).")
    var collection: String

    @Option(name: .long, help: "The tenant that owns the documents.")
    var tenant: String = "dev"

    @Option(name: .long, help: "markdown or text (default: by file extension; text for JSON Lines).")
    var format: IngestDocument.Format?

    @Option(name: .long, help: "Documents waiting for their ack at once.")
    var window: Int = 512

    @Option(name: .long, help: "Seconds one document may wait for its ack.")
    var timeout: Double = 900

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .warning) }
        guard IngestKey.isValidName(collection) else { throw ValidationError("'\(collection)' is not a collection name (letters, digits, _ - .)") }
        guard IngestKey.isValidName(tenant) else { throw ValidationError("'\(tenant)' is not a tenant id") }
        let config = try options.load()
        let items: [DocumentSource.Item]
        do {
            items = try DocumentSource.load(path: path, format: format)
        } catch {
            throw ValidationError("\(error)")
        }
        let runtime = SwitchboardRuntime(config: config, catalog: TopicCatalog(contracts: []), logger: Logger(label: "switchboard.ingest"))
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: runtime.logger)
        try await producer.prepare(topics: [config.topics.ingest, config.topics.indexed])
        let acks = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: config.topics.indexed, logger: runtime.logger)
        let bar = ProgressBar(label: "ingest \(collection)")
        let job = IngestJob(tenant: tenant, collection: collection, topic: config.topics.ingest, window: max(1, window),
                            ackTimeout: .milliseconds(Int(timeout * 1000)))
        let total = items.count
        let summary = try await job.run(items, producer: producer, acks: acks) { s in
            bar.update(done: s.done, total: total, detail: "chunks \(s.chunks) unchanged \(s.unchanged) failed \(s.failures.count)")
        }
        bar.update(done: summary.done, total: total, detail: "chunks \(summary.chunks) unchanged \(summary.unchanged) failed \(summary.failures.count)", force: true)
        bar.finish()
        await acks.close()
        await producer.close()
        print("documents \(summary.documents)  indexed \(summary.indexed)  chunks \(summary.chunks)  unchanged (skipped) \(summary.unchanged)  failed \(summary.failures.count)  time \(String(format: "%.1f", summary.seconds)) s")
        if !summary.versions.isEmpty { print("index version: \(summary.versions.sorted().joined(separator: ", "))") }
        for failure in summary.failures.prefix(50) { print("failed: \(failure.id): \(failure.reason)") }
        if summary.failures.count > 50 { print("... and \(summary.failures.count - 50) more") }
        if summary.indexed + summary.unchanged == 0 && summary.failures.contains(where: { $0.reason.contains("no reply") }) {
            print("no acks arrived: is the embedder running (switchboard run all, or run embedder)?")
        }
        if !summary.failures.isEmpty { throw ExitCode(3) }
    }
}

extension IngestDocument.Format: ExpressibleByArgument {}
