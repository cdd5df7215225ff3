import HTTPClient
import Kafka
import Logging

/// The topics of one benchmark run, created before any client asks for them.
///
/// On the dev broker a topic nobody created is auto-created with the mock's fixed 4
/// partitions, and the mock walks a partition's log from its start for every fetch that returns
/// records, so its CPU per record grows with the log of each partition. Creating the run's
/// topics with more partitions through the dev broker's topic admin (``DevKafkaAdmin``) keeps
/// each log shorter. Against any other cluster the topics are left to the cluster's own
/// auto-creation.
enum BenchTopics {
    /// Creates `names` with `partitions` each when `bootstrap` is the dev broker; returns a line
    /// for the report that says what happened.
    static func create(_ names: [String], partitions: Int, bootstrap: String, logger: Logger) async throws -> String {
        guard partitions > 0 else { return "topics: auto-created by the broker" }
        guard let address = DevKafkaAdmin.address(for: bootstrap) else {
            return "topics: auto-created by the broker (no dev-broker topic admin for \(bootstrap))"
        }
        let client = HTTPClient(logger: logger)
        defer { client.shutdown() }
        try await DevKafkaAdmin.createTopics(names.map { DevKafkaAdmin.TopicRequest(name: $0, partitions: partitions) }, at: address, client: client)
        return "topics: \(names.count) created with \(partitions) partitions each"
    }

    /// Creates the pipeline's topics of a run (see ``create(_:partitions:bootstrap:logger:)``)
    /// and fetches their metadata on `producer`; returns the report line.
    static func prepare(_ topics: TopicNames, producer: KafkaProducer, partitions: Int, bootstrap: String, logger: Logger) async throws -> String {
        let names = [topics.requests, topics.route, topics.complete, topics.results, topics.usage, topics.deadLetter]
        let line = try await create(names, partitions: partitions, bootstrap: bootstrap, logger: logger)
        try await producer.prepare(topics: names)
        return line
    }
}
