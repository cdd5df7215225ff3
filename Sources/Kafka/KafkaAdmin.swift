import CRdKafka
import Logging

/// What a topic should look like on a cluster.
public struct TopicSpecification: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configs (`cleanup.policy`, `retention.ms`, ...).
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A topic as the cluster reports it.
public struct TopicDescription: Sendable, Equatable {
    public var name: String
    public var partitions: Int
}

/// Topic administration: create missing topics, list what exists.
public final class KafkaAdmin: Sendable {
    private let client: RdKafkaClient

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        client = try RdKafkaClient(type: RD_KAFKA_PRODUCER, configuration: configuration,
                                   context: ClientContext(logger: logger))
    }

    /// Every topic on the cluster, from a metadata request.
    public func describeTopics(timeout: Duration = .seconds(5)) async throws(KafkaError) -> [String: TopicDescription] {
        let handle = UncheckedHandle(client: client)
        let ms = Int32(timeout.components.seconds * 1000)
        let result: Result<[String: TopicDescription], KafkaError> = await BlockingThread.run(name: "kafka-metadata") {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.client.pointer, 1, nil, &metadata, ms)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(KafkaError.rd(.admin, err, context: "metadata"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var topics: [String: TopicDescription] = [:]
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topic = metadata.pointee.topics[index]
                let name = String(cString: topic.topic)
                if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    topics[name] = TopicDescription(name: name, partitions: Int(topic.partition_cnt))
                }
            }
            return .success(topics)
        }
        return try result.get()
    }

    /// Creates `topics`; returns per topic nil on success or the broker's error.
    /// A topic that already exists counts as success.
    public func createTopics(_ topics: [TopicSpecification], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: KafkaError?] {
        guard !topics.isEmpty else { return [:] }
        let handle = UncheckedHandle(client: client)
        let ms = Int32(timeout.components.seconds * 1000)
        let result: Result<[String: KafkaError?], KafkaError> = await BlockingThread.run(name: "kafka-create-topics") {
            let rk = handle.client.pointer
            var errbuf = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for spec in topics {
                guard let topic = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(spec.replicationFactor), &errbuf, errbuf.count) else {
                    return .failure(KafkaError(.admin, "topic \(spec.name): \(String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"))
                }
                for (key, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                    _ = rd_kafka_NewTopic_set_config(topic, key, value)
                }
                newTopics.append(topic)
            }
            let queue = rd_kafka_queue_new(rk)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, ms, &errbuf, errbuf.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, ms, &errbuf, errbuf.count)
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(rk, buffer.baseAddress, buffer.count, options, queue)
            }
            // The admin request itself is bounded by the options; allow a little beyond it.
            guard let event = rd_kafka_queue_poll(queue, ms + 2000) else {
                return .failure(KafkaError(.timeout, "create topics: no answer from the cluster within \(timeout) (the broker may not support CreateTopics)"))
            }
            defer { rd_kafka_event_destroy(event) }
            let eventErr = rd_kafka_event_error(event)
            if eventErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                return .failure(KafkaError.rd(.admin, eventErr, context: "create topics"))
            }
            var outcome: [String: KafkaError?] = [:]
            var count = 0
            let created = rd_kafka_event_CreateTopics_result(event)
            if let results = rd_kafka_CreateTopics_result_topics(created, &count) {
                for index in 0..<count {
                    let entry = results[index]
                    let name = String(cString: rd_kafka_topic_result_name(entry))
                    let err = rd_kafka_topic_result_error(entry)
                    if err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                        outcome[name] = .some(nil)
                    } else {
                        let message = rd_kafka_topic_result_error_string(entry).map { String(cString: $0) } ?? ""
                        outcome[name] = KafkaError(.admin, "\(name): \(message)", rdkafkaCode: err.rawValue)
                    }
                }
            }
            return .success(outcome)
        }
        return try result.get()
    }
}
