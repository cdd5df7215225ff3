import CRdKafka
import Logging
import Synchronization

/// Told about partitions gained and lost in a consumer group rebalance. Both calls run on the
/// consumer's poll thread and must return promptly.
public protocol KafkaRebalanceListener: Sendable {
    /// The partitions this member now owns.
    func partitionsAssigned(_ partitions: [TopicPartition])
    /// The partitions this member is losing; returns the offsets (next offset to read) that
    /// are safe to commit for them before they go, so the next owner resumes there.
    func partitionsRevoked(_ partitions: [TopicPartition]) -> [TopicPartition: Int64]
}

/// A consumer-group member with manual offset management.
///
/// Auto-commit and auto offset store are off: callers commit an offset only once the outputs
/// of every record below it are acknowledged, which gives at-least-once delivery. A dedicated
/// thread runs `rd_kafka_consumer_poll` and hands records to `next()` through a bounded buffer.
public final class KafkaConsumer: Sendable {
    let client: RdKafkaClient
    let channel: RecordChannel
    let poller = Mutex<PollingThread?>(nil)
    private let closed = Atomic<Bool>(false)
    public let groupID: String

    public static let defaultProperties: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "auto.offset.reset": "earliest",
        "enable.partition.eof": "false",
        "socket.nagle.disable": "true",
    ]

    public init(configuration: KafkaConfiguration, groupID: String, logger: Logger,
                rebalanceListener: (any KafkaRebalanceListener)? = nil, bufferCapacity: Int = 2048) throws(KafkaError) {
        let context = ClientContext(logger: logger, rebalanceListener: rebalanceListener)
        let config = KafkaConfiguration(bootstrapServers: configuration.bootstrapServers,
                                        properties: Self.defaultProperties)
            .with(configuration.properties)
            .with(["group.id": groupID])
        client = try RdKafkaClient(type: RD_KAFKA_CONSUMER, configuration: config, context: context) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        }
        // Serve the main queue (errors, logs, rebalances) from consumer_poll.
        rd_kafka_poll_set_consumer(client.pointer)
        self.groupID = groupID
        let channel = RecordChannel(capacity: bufferCapacity)
        self.channel = channel
        context.revokeHook.withLock { $0 = { partitions in channel.purge(Set(partitions)) } }
    }

    deinit {
        poller.withLock { $0?.requestStop() }
    }

    /// Joins the group for `topics` and starts fetching.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consume, err, context: "subscribe \(topics)")
        }
        startPolling()
    }

    /// Starts the poll thread. With `handler`, each record is handed to it on that thread
    /// (no hand-off to a task); without, records go through the bounded channel to `next()`.
    func startPolling(handler: (@Sendable (KafkaRecord) -> Void)? = nil) {
        let handle = UncheckedHandle(client: client)
        let channel = self.channel
        let logger = client.context.logger
        // Whether the record was taken; a full channel refuses it for now.
        let deliver: @Sendable (KafkaRecord) -> Bool
        if let handler {
            deliver = { record in
                handler(record)
                return true
            }
        } else {
            deliver = { record in channel.push(record, timeout: 0.1) }
        }
        poller.withLock { current in
            guard current == nil else { return }
            // The pending record survives a full channel: it is retried, never dropped.
            let pending = Mutex<KafkaRecord?>(nil)
            current = PollingThread(name: "kafka-consumer-poll") {
                if let record = pending.withLock({ $0 }) {
                    if deliver(record) { pending.withLock { $0 = nil } }
                    return
                }
                guard let message = rd_kafka_consumer_poll(handle.client.pointer, 100) else { return }
                defer { rd_kafka_message_destroy(message) }
                if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let text = String(cString: rd_kafka_err2str(message.pointee.err))
                    logger.warning("consumer error: \(text)")
                    return
                }
                let record = KafkaRecord(copying: message)
                if !deliver(record) { pending.withLock { $0 = record } }
            }
        }
    }

    /// The next record; nil after `close()`.
    public func next() async -> KafkaRecord? {
        await channel.next()
    }

    /// Commits `offsets` (the next offset to read per partition) without waiting.
    public func commit(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = Self.makeList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit(client.pointer, list, 1)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.rd(.commit, err, context: "commit")
        }
    }

    /// Commits `offsets` and waits for the broker's answer.
    public func commitAndWait(_ offsets: [TopicPartition: Int64]) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let handle = UncheckedHandle(client: client)
        let err = await BlockingThread.run(name: "kafka-commit") {
            let list = Self.makeList(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return rd_kafka_commit(handle.client.pointer, list, 0)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.rd(.commit, err, context: "commit")
        }
    }

    /// The group's committed offsets for `partitions` (-1001 when none).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(5)) async throws(KafkaError) -> [TopicPartition: Int64] {
        let handle = UncheckedHandle(client: client)
        let ms = Int32(timeout.components.seconds * 1000)
        let result: Result<[TopicPartition: Int64], KafkaError> = await BlockingThread.run(name: "kafka-committed") {
            let list = Self.makeList(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(-1001)) }))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.client.pointer, list, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                return .failure(KafkaError.rd(.commit, err, context: "committed"))
            }
            return .success(Self.readList(list))
        }
        return try result.get()
    }

    /// Stops fetching from `partitions` (backpressure); records already handed out stay valid.
    public func pause(_ partitions: [TopicPartition]) {
        guard !partitions.isEmpty else { return }
        let list = Self.makeList(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(-1001)) }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_pause_partitions(client.pointer, list)
    }

    /// Resumes fetching from `partitions`.
    public func resume(_ partitions: [TopicPartition]) {
        guard !partitions.isEmpty else { return }
        let list = Self.makeList(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(-1001)) }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_resume_partitions(client.pointer, list)
    }

    /// Leaves the group (revoking partitions, which commits through the listener) and stops.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = poller.withLock { $0 }
        await thread?.stop()
        let handle = UncheckedHandle(client: client)
        // consumer_close serves the final revoke, so the listener commits what is done.
        _ = await BlockingThread.run(name: "kafka-consumer-close") { rd_kafka_consumer_close(handle.client.pointer) }
        channel.finish()
    }

    static func makeList(_ offsets: [TopicPartition: Int64]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        for (tp, offset) in offsets {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)
            element?.pointee.offset = offset
        }
        return list
    }

    static func readList(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        let count = Int(list.pointee.cnt)
        for index in 0..<count {
            let element = list.pointee.elems[index]
            result[TopicPartition(String(cString: element.topic), element.partition)] = element.offset
        }
        return result
    }
}

/// Eager rebalance protocol: assign on ASSIGN; on REVOKE commit what the listener says is
/// done, drop buffered records of the lost partitions, then unassign.
private let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = { rk, err, partitions, _ in
    guard let rk, let context = RdKafkaClient.context(of: rk) else { return }
    let owned = partitions.map { KafkaConsumer.readList($0) } ?? [:]
    let tps = Array(owned.keys)
    switch err {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        context.logger.info("partitions assigned", metadata: ["partitions": "\(tps.map(\.description).sorted())"])
        _ = rd_kafka_assign(rk, partitions)
        context.rebalanceListener?.partitionsAssigned(tps)
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        context.logger.info("partitions revoked", metadata: ["partitions": "\(tps.map(\.description).sorted())"])
        context.revokeHook.withLock { $0 }?(tps)
        if let offsets = context.rebalanceListener?.partitionsRevoked(tps), !offsets.isEmpty {
            let list = KafkaConsumer.makeList(offsets)
            let commitErr = rd_kafka_commit(rk, list, 0)
            rd_kafka_topic_partition_list_destroy(list)
            if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                context.logger.warning("commit on revoke failed: \(String(cString: rd_kafka_err2str(commitErr)))")
            }
        }
        _ = rd_kafka_assign(rk, nil)
    default:
        context.logger.error("rebalance error: \(String(cString: rd_kafka_err2str(err)))")
        _ = rd_kafka_assign(rk, nil)
    }
}

extension KafkaConsumer {
    /// Stops fetching and ends `next()` (records not yet handed out are dropped, uncommitted,
    /// so the group delivers them again). The member stays in the group until `close()`,
    /// so the caller can still commit what it finishes.
    public func stopFetching() {
        let thread = poller.withLock { $0 }
        thread?.requestStop()
        channel.finish()
    }
}

extension KafkaConsumer {
    /// The offset that `assign` reads as "the earliest record still in the partition".
    public static let beginning: Int64 = -2

    /// Reads `offsets` directly, without group membership or rebalancing (a reply reader that
    /// must see everything from a known point on). Call instead of `subscribe`.
    ///
    /// With `handler`, each record is handed to it on the poll thread as it arrives, without a
    /// task hop: for readers whose work per record is a lookup (a reply matched to its waiter).
    /// `handler` must return promptly, and `next()` is not used then.
    public func assign(_ offsets: [TopicPartition: Int64], onRecord handler: (@Sendable (KafkaRecord) -> Void)? = nil) throws(KafkaError) {
        let list = Self.makeList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.consume, err, context: "assign")
        }
        startPolling(handler: handler)
    }

    /// The current end offset (high watermark) of each partition of `topic`.
    public func endOffsets(topic: String, timeout: Duration = .seconds(5)) async throws(KafkaError) -> [TopicPartition: Int64] {
        let handle = UncheckedHandle(client: client)
        let ms = Int32(timeout.components.seconds * 1000)
        let result: Result<[TopicPartition: Int64], KafkaError> = await BlockingThread.run(name: "kafka-watermarks") {
            let rk = handle.client.pointer
            var metadata: UnsafePointer<rd_kafka_metadata>?
            guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
                return .failure(KafkaError(.consume, "topic handle for \(topic)"))
            }
            defer { rd_kafka_topic_destroy(rkt) }
            let err = rd_kafka_metadata(rk, 0, rkt, &metadata, ms)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(KafkaError.rd(.consume, err, context: "metadata for \(topic)"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            guard metadata.pointee.topic_cnt == 1, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let topicErr = metadata.pointee.topic_cnt == 1 ? metadata.pointee.topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                return .failure(KafkaError.rd(.consume, topicErr, context: "topic \(topic)"))
            }
            var offsets: [TopicPartition: Int64] = [:]
            for index in 0..<Int(metadata.pointee.topics[0].partition_cnt) {
                let partition = metadata.pointee.topics[0].partitions[index].id
                var low: Int64 = 0
                var high: Int64 = 0
                let wm = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, ms)
                if wm != RD_KAFKA_RESP_ERR_NO_ERROR {
                    return .failure(KafkaError.rd(.consume, wm, context: "watermarks \(topic)[\(partition)]"))
                }
                offsets[TopicPartition(topic, partition)] = high
            }
            return .success(offsets)
        }
        return try result.get()
    }
}
