import CRdKafka
import Logging
import Synchronization

/// An idempotent producer whose `send` returns once the broker has acknowledged the record.
///
/// A dedicated thread serves librdkafka's delivery reports (`rd_kafka_poll`) and resumes the
/// waiting callers, so no Swift task ever blocks inside librdkafka.
public final class KafkaProducer: Sendable {
    let client: RdKafkaClient
    private let poller: PollingThread
    private let closed = Atomic<Bool>(false)

    /// Defaults that keep delivery safe: idempotence (which implies acks=all and ordered
    /// retries) and no linger: a lone record goes out at once, and under load the records queued behind
    /// a request in flight still travel together.
    public static let defaultProperties: [String: String] = [
        "enable.idempotence": "true",
        "linger.ms": "0",
        "queue.buffering.max.messages": "200000",
        "socket.nagle.disable": "true",
    ]

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let context = ClientContext(logger: logger)
        var config = KafkaConfiguration(bootstrapServers: configuration.bootstrapServers,
                                        properties: Self.defaultProperties).with(configuration.properties)
        config.topicProperties = configuration.topicProperties
        client = try RdKafkaClient(type: RD_KAFKA_PRODUCER, configuration: config, context: context) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        }
        let pointer = UncheckedHandle(client: client)
        poller = PollingThread(name: "kafka-producer-poll") {
            _ = rd_kafka_poll(pointer.client.pointer, 100)
        }
    }

    deinit {
        poller.requestStop()
    }

    /// Told once about a record's delivery: the broker's acknowledgement or the final error.
    /// It runs on the producer's delivery thread and must return promptly.
    public typealias DeliveryHandler = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    /// Produces `record` and waits for its delivery report.
    @discardableResult
    public func send(_ record: KafkaOutgoingRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>) in
            produce(record) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Produces `record` and calls `onDelivery` once with its delivery report, without a task
    /// waiting for it: the report is handled on the delivery thread, so a caller that only
    /// needs to count acknowledgements costs no thread hand-off per record. A full local queue
    /// is waited out (backpressure) before the record is enqueued.
    public func produce(_ record: KafkaOutgoingRecord, onDelivery: @escaping DeliveryHandler) {
        switch enqueue(record, onDelivery) {
        case nil:
            return
        case let error? where error.rdkafkaCode == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue:
            Task {
                var backoff: Duration = .milliseconds(1)
                while true {
                    // The local queue is full: wait for deliveries to drain it.
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .milliseconds(100))
                    guard let error = enqueue(record, onDelivery) else { return }
                    if error.rdkafkaCode != RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                        onDelivery(.failure(error))
                        return
                    }
                }
            }
        case let error?:
            onDelivery(.failure(error))
        }
    }

    /// Hands `record` to librdkafka with `handler` waiting for its report; on failure the
    /// handler is not registered and the error is returned.
    private func enqueue(_ record: KafkaOutgoingRecord, _ handler: @escaping DeliveryHandler) -> KafkaError? {
        if closed.load(ordering: .acquiring) {
            return KafkaError(.closed, "producer is closed")
        }
        let context = client.context
        let id = context.nextDeliveryID.add(1, ordering: .relaxed).oldValue
        context.deliveries.withLock { $0[id] = handler }
        let err = Self.produce(rk: client.pointer, record: record, opaque: UnsafeMutableRawPointer(bitPattern: id))
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
        context.deliveries.withLock { _ = $0.removeValue(forKey: id) }
        return KafkaError.rd(.produce, err, context: "produce to \(record.topic)")
    }

    private static func produce(rk: OpaquePointer, record: KafkaOutgoingRecord,
                                opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                if let value = header.value {
                    _ = value.withUnsafeBytes { raw in
                        rd_kafka_header_add(headers, header.name, -1, raw.baseAddress, raw.count)
                    }
                } else {
                    _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                }
            }
        }
        let partition = record.partition ?? RD_KAFKA_PARTITION_UA
        return withOptionalBytes(record.key) { key in
            withOptionalBytes(record.value) { value in
                // sb_produce copies key, value and headers, and owns `headers` from here on.
                sb_produce(rk, record.topic, partition, key.baseAddress, key.count,
                           value.baseAddress, value.count, headers, opaque)
            }
        }
    }

    /// Waits until every queued record is delivered or `timeout` passes.
    public func flush(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let handle = UncheckedHandle(client: client)
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let err = await BlockingThread.run(name: "kafka-flush") { rd_kafka_flush(handle.client.pointer, ms) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rd(.timeout, err, context: "flush")
        }
    }

    /// Flushes, stops the delivery thread and fails sends that were never acknowledged.
    public func close(timeout: Duration = .seconds(10)) async {
        try? await flush(timeout: timeout)
        closed.store(true, ordering: .releasing)
        await poller.stop()
        let orphans = client.context.deliveries.withLock { pending in
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for handler in orphans {
            handler(.failure(KafkaError(.closed, "producer closed before delivery")))
        }
    }

    /// Number of records librdkafka still holds (queued or in flight).
    public var outstanding: Int { Int(rd_kafka_outq_len(client.pointer)) }
}

/// Lets a `Sendable` closure capture the client; librdkafka handles are thread safe.
struct UncheckedHandle: @unchecked Sendable {
    let client: RdKafkaClient
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard let bytes else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    return bytes.withUnsafeBytes(body)
}

/// Called on the poll thread once per produced record.
private let deliveryReportCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = { rk, message, _ in
    guard let message, let context = RdKafkaClient.context(of: rk) else { return }
    let id = UInt(bitPattern: message.pointee._private)
    guard let handler = context.deliveries.withLock({ $0.removeValue(forKey: id) }) else { return }
    let m = message.pointee
    let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
    if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
        handler(.failure(KafkaError.rd(.delivery, m.err, context: "delivery to \(topic)")))
    } else {
        handler(.success(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
    }
}

extension KafkaProducer {
    /// Fetches metadata for `topics` so the first record does not wait for leader discovery
    /// and broker connections (a fresh client otherwise holds it for up to a second).
    public func prepare(topics: [String], timeout: Duration = .seconds(5)) async throws(KafkaError) {
        let handle = UncheckedHandle(client: client)
        let ms = Int32(timeout.components.seconds * 1000)
        for topic in topics {
            let err = await BlockingThread.run(name: "kafka-prepare") { () -> rd_kafka_resp_err_t in
                guard let rkt = rd_kafka_topic_new(handle.client.pointer, topic, nil) else { return RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC }
                defer { rd_kafka_topic_destroy(rkt) }
                var metadata: UnsafePointer<rd_kafka_metadata>?
                let err = rd_kafka_metadata(handle.client.pointer, 0, rkt, &metadata, ms)
                if let metadata { rd_kafka_metadata_destroy(metadata) }
                return err
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rd(.produce, err, context: "metadata for \(topic)")
            }
        }
    }
}
