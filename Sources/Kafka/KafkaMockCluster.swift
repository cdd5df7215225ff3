import CRdKafka
import Logging

/// librdkafka's built-in mock cluster: real Kafka protocol on loopback ports it picks itself.
/// Any Kafka client can connect to `bootstrapServers`. Used for development and tests.
public final class KafkaMockCluster: @unchecked Sendable {
    // The mock cluster lives inside (and is destroyed before) its host rd_kafka_t.
    private let host: RdKafkaClient
    private let cluster: OpaquePointer
    public let bootstrapServers: String

    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        // The host handle never connects anywhere: it has no bootstrap servers.
        host = try RdKafkaClient(type: RD_KAFKA_PRODUCER,
                                 configuration: KafkaConfiguration(bootstrapServers: ""),
                                 context: ClientContext(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(host.pointer, Int32(brokers)) else {
            throw KafkaError(.clientCreation, "could not start the mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// Creates a topic on the mock (the mock does not serve CreateTopics requests).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.admin, err, context: "mock create \(name)")
        }
    }

    /// Adds round-trip time to a broker, to test behaviour under a slow cluster.
    public func setBrokerRTT(broker: Int32, milliseconds: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster, broker, milliseconds)
    }
}
