import ArgumentParser
import Foundation
import Kafka
import Logging
import Switchboard

/// `switchboard usage report`: a stream consumer of the usage topic.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Usage and cost from the usage topic.", subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests, failures, tokens, cost, p50/p95 latency and cache hit rate per group.")

        @Option(name: .long, help: "Only events at or after this time (ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z, or epoch ms).")
        var since: String?

        @Option(name: .long, help: "Group by any of tenant, model, day (comma-separated).")
        var by: String = "tenant,model"

        @Option(name: .long, help: "table, csv or json.")
        var format: String = "table"

        @Flag(name: .long, help: "Keep reading and print the report again every --interval seconds.")
        var follow = false

        @Option(name: .long, help: "Seconds between reports with --follow.")
        var interval: Double = 5

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
            let dimensions = try by.split(separator: ",").map { name in
                guard let dimension = UsageReport.Dimension(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--by: '\(name)' is not one of tenant, model, day")
                }
                return dimension
            }
            guard let format = UsageReport.Format(rawValue: format) else { throw ValidationError("--format: table, csv or json") }
            let sinceMs = try since.map { text -> Int64 in
                if let ms = Int64(text) { return ms }
                let parsed = (try? Date(text, strategy: .iso8601)) ?? (try? Date(text + "T00:00:00Z", strategy: .iso8601))
                guard let parsed else { throw ValidationError("--since: '\(text)' is not ISO 8601 or epoch ms") }
                return Int64(parsed.timeIntervalSince1970 * 1000)
            }
            let config = try options.load()
            let runtime = SwitchboardRuntime(config: config, catalog: try options.loadCatalog(), logger: Logger(label: "switchboard.usage"))
            let consumer = try KafkaConsumer(configuration: runtime.consumerConfiguration, groupID: "switchboard-usage-report-\(UUID())",
                                             logger: Logger(label: "switchboard.usage"))
            let ends = try await consumer.endOffsets(topic: config.topics.usage)
            try consumer.assign(Dictionary(uniqueKeysWithValues: ends.keys.map { ($0, Int64(-2)) }))  // -2: from the beginning
            let follow = self.follow, interval = self.interval
            let reader = Task {
                var report = UsageReport(dimensions: dimensions, sinceMs: sinceMs)
                var remaining = ends.filter { $0.value > 0 }
                var lastPrint = ContinuousClock.now
                if !follow && remaining.isEmpty { return report }
                while let record = await consumer.next() {
                    if let value = record.value, let event = try? EventCoding.decode(UsageEvent.self, from: value) { report.add(event) }
                    let partition = TopicPartition(record.topic, record.partition)
                    if let end = remaining[partition], record.offset + 1 >= end { remaining[partition] = nil }
                    if !follow && remaining.isEmpty { break }
                    if follow && ContinuousClock.now - lastPrint >= .seconds(interval) {
                        print(report.render(format))
                        lastPrint = .now
                    }
                }
                return report
            }
            let final = await reader.value
            print(final.render(format), terminator: "")
            await consumer.close()
        }
    }
}
