import Foundation
import Kafka
import Logging
import Testing

/// These tests run against librdkafka's mock cluster, started in-process: real Kafka protocol
/// over loopback sockets, no external broker.
@Suite("Kafka layer on the mock cluster")
struct KafkaRoundTripTests {
    let logger = Logger(label: "kafka-test")

    func topic() -> String { "test.\(UUID().uuidString.prefix(8))" }

    @Test("a produced record with key and headers is consumed once, with the same bytes")
    func roundTrip() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let name = topic()
        try cluster.createTopic(name, partitions: 2)
        let config = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["fetch.wait.max.ms": "5"])
        let producer = try KafkaProducer(configuration: config, logger: logger)
        let value: [UInt8] = [0, 1, 2, 255, 254] + Array("payload".utf8)
        let report = try await producer.send(KafkaOutgoingRecord(
            topic: name, key: Array("k1".utf8), value: value,
            headers: [KafkaHeader("ce_id", "abc"), KafkaHeader(name: "empty", bytes: nil)]))
        #expect(report.topic == name)
        #expect(report.offset == 0)

        let consumer = try KafkaConsumer(configuration: config, groupID: "g-\(UUID())", logger: logger)
        try consumer.subscribe([name])
        let record = try #require(await consumer.next())
        #expect(record.value == value)
        #expect(record.key == Array("k1".utf8))
        #expect(record.header("ce_id") == "abc")
        #expect(record.headers.contains { $0.name == "empty" && $0.value == nil })
        await consumer.close()
        await producer.close()
    }

    @Test("committed offsets survive a restart of the group: nothing is redelivered past them")
    func commitResumes() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let name = topic()
        try cluster.createTopic(name, partitions: 1)
        let config = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["fetch.wait.max.ms": "5", "session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
        let producer = try KafkaProducer(configuration: config, logger: logger)
        for i in 0..<10 {
            try await producer.send(KafkaOutgoingRecord(topic: name, key: nil, value: Array("m\(i)".utf8)))
        }
        let group = "g-\(UUID())"
        let first = try KafkaConsumer(configuration: config, groupID: group, logger: logger)
        try first.subscribe([name])
        var seen: [String] = []
        for _ in 0..<4 {
            let record = try #require(await first.next())
            seen.append(String(decoding: record.value ?? [], as: UTF8.self))
        }
        #expect(seen == ["m0", "m1", "m2", "m3"])
        try await first.commitAndWait([TopicPartition(name, 0): 4])
        let committed = try await first.committed([TopicPartition(name, 0)])
        #expect(committed[TopicPartition(name, 0)] == 4)
        await first.close()

        let second = try KafkaConsumer(configuration: config, groupID: group, logger: logger)
        try second.subscribe([name])
        let next = try #require(await second.next())
        #expect(String(decoding: next.value ?? [], as: UTF8.self) == "m4")
        await second.close()
        await producer.close()
    }

    @Test("produce(onDelivery:) reports each record once, in order per partition; after close it reports the closed producer")
    func deliveryCallbacks() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let name = topic()
        try cluster.createTopic(name, partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let reports = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for i in 0..<20 {
                group.addTask {
                    let report = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KafkaDeliveryReport, any Error>) in
                        producer.produce(KafkaOutgoingRecord(topic: name, partition: 0, key: nil, value: Array("m\(i)".utf8))) {
                            continuation.resume(with: $0.mapError { $0 as any Error })
                        }
                    }
                    return (i, report.offset)
                }
                // One at a time, so the enqueue order is the send order.
                try await Task.sleep(for: .milliseconds(2))
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let offsets = (0..<20).compactMap { reports[$0] }
        #expect(offsets == Array(0..<20))
        await producer.close()
        let afterClose = await withCheckedContinuation { (continuation: CheckedContinuation<KafkaError?, Never>) in
            producer.produce(KafkaOutgoingRecord(topic: name, key: nil, value: [1])) { result in
                if case .failure(let error) = result { continuation.resume(returning: error) } else { continuation.resume(returning: nil) }
            }
        }
        #expect(afterClose?.code == .closed)
    }

    @Test("a tombstone (nil value) and an empty key are produced and read back as such")
    func tombstone() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let name = topic()
        try cluster.createTopic(name, partitions: 1)
        let config = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["fetch.wait.max.ms": "5"])
        let producer = try KafkaProducer(configuration: config, logger: logger)
        try await producer.send(KafkaOutgoingRecord(topic: name, key: Array("doc".utf8), value: nil))
        let consumer = try KafkaConsumer(configuration: config, groupID: "g-\(UUID())", logger: logger)
        try consumer.subscribe([name])
        let record = try #require(await consumer.next())
        #expect(record.value == nil)
        #expect(record.key == Array("doc".utf8))
        await consumer.close()
        await producer.close()
    }

    @Test("an invalid property is refused with a message naming it")
    func badProperty() {
        let config = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"])
        #expect {
            _ = try KafkaProducer(configuration: config, logger: logger)
        } throws: { error in
            (error as? KafkaError)?.message.contains("no.such.property") == true
        }
    }

    @Test("the relay makes the mock reachable on a fixed port; metadata lists its topics")
    func relay() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let name = topic()
        try cluster.createTopic(name, partitions: 3)
        let parts = cluster.bootstrapServers.split(separator: ",")[0].split(separator: ":")
        let relay = try TCPRelay(port: 0, targetHost: String(parts[0]), targetPort: UInt16(parts[1])!, logger: logger)
        relay.start()
        defer { relay.stop() }
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:\(relay.port)"), logger: logger)
        let topics = try await admin.describeTopics()
        #expect(topics[name]?.partitions == 3)
    }

    @Test("topic properties apply to their topic only: keyed records are partitioned by the topic's own partitioner")
    func topicProperties() async throws {
        let cluster = try KafkaMockCluster(logger: logger)
        let murmur = topic(), standard = topic()
        try cluster.createTopic(murmur, partitions: 8)
        try cluster.createTopic(standard, partitions: 8)
        var config = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["partitioner": "consistent"])
        config.topicProperties = [murmur: ["partitioner": "murmur2", "compression.type": "lz4"]]
        let producer = try KafkaProducer(configuration: config, logger: logger)
        var murmurPartitions: [Int32] = [], standardPartitions: [Int32] = []
        for i in 0..<24 {
            let key = Array("key-\(i)".utf8)
            murmurPartitions.append(try await producer.send(KafkaOutgoingRecord(topic: murmur, key: key, value: key)).partition)
            standardPartitions.append(try await producer.send(KafkaOutgoingRecord(topic: standard, key: key, value: key)).partition)
        }
        // Same keys, same partition count: only the topic's own partitioner (murmur2 against
        // the client's crc32) can put them elsewhere. Each is deterministic, so a second
        // round lands exactly where the first did.
        #expect(murmurPartitions != standardPartitions)
        for i in 0..<24 {
            let key = Array("key-\(i)".utf8)
            #expect(try await producer.send(KafkaOutgoingRecord(topic: murmur, key: key, value: key)).partition == murmurPartitions[i])
        }
        // The lz4 topic's records read back unchanged.
        let consumer = try KafkaConsumer(configuration: config, groupID: "g-\(UUID())", logger: logger)
        try consumer.subscribe([murmur])
        let record = try #require(await consumer.next())
        #expect(record.value == record.key)
        await consumer.close()
        await producer.close()
    }

    @Test("a topic property librdkafka refuses fails the producer's creation and names the topic")
    func badTopicProperty() throws {
        var config = KafkaConfiguration(bootstrapServers: "127.0.0.1:1")
        config.topicProperties = ["t1": ["compression.type": "pkzip"]]
        do {
            _ = try KafkaProducer(configuration: config, logger: logger)
            Issue.record("a producer was created with compression.type pkzip")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("topic 't1'"))
            #expect(error.message.contains("compression.type"))
        }
    }
}
