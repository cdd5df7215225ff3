import CRdKafka
import Logging
import Synchronization

/// State shared between a Swift client and librdkafka's C callbacks. It is reached from C
/// through the `opaque` pointer set on the configuration, so it lives exactly as long as the
/// `rd_kafka_t` it belongs to (`RdKafkaClient` retains it and releases it after destroy).
final class ClientContext: Sendable {
    let logger: Logger
    /// Who is told about each produced record's delivery report, by the record's opaque id.
    let deliveries = Mutex<[UInt: KafkaProducer.DeliveryHandler]>([:])
    let nextDeliveryID = Atomic<UInt>(1)
    let rebalanceListener: (any KafkaRebalanceListener)?
    /// Set by the consumer so a revoke can drop records of lost partitions it has not handed out.
    let revokeHook = Mutex<(@Sendable ([TopicPartition]) -> Void)?>(nil)

    init(logger: Logger, rebalanceListener: (any KafkaRebalanceListener)? = nil) {
        self.logger = logger
        self.rebalanceListener = rebalanceListener
    }
}

/// Owns one `rd_kafka_t`. librdkafka documents its handles as thread safe, which is why this
/// wrapper may be shared across threads; every blocking call on it is made from a dedicated
/// thread, never from the Swift concurrency pool.
final class RdKafkaClient: @unchecked Sendable {
    let pointer: OpaquePointer
    let context: ClientContext
    private let contextRef: Unmanaged<ClientContext>
    /// Topic handles created with their own configuration (``KafkaConfiguration/topicProperties``).
    /// librdkafka finds a topic by name, so records produced by name use these; they are
    /// released before the client is destroyed.
    private let configuredTopics: [OpaquePointer]

    init(type: rd_kafka_type_t, configuration: KafkaConfiguration, context: ClientContext,
         configure: (OpaquePointer) -> Void = { _ in }) throws(KafkaError) {
        let conf = try configuration.makeConf()
        let ref = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, ref.toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        configure(conf)
        var errbuf = [CChar](repeating: 0, count: 512)
        // rd_kafka_new takes ownership of conf only on success.
        guard let handle = rd_kafka_new(type, conf, &errbuf, errbuf.count) else {
            rd_kafka_conf_destroy(conf)
            ref.release()
            let reason = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(.clientCreation, reason)
        }
        var topics: [OpaquePointer] = []
        for topic in configuration.topicProperties.keys.sorted() {
            do throws(KafkaError) {
                guard let topicConf = try configuration.makeTopicConf(for: topic) else { continue }
                // rd_kafka_topic_new takes ownership of topicConf, also when it fails.
                guard let rkt = rd_kafka_topic_new(handle, topic, topicConf) else {
                    throw KafkaError.rd(.configuration, rd_kafka_last_error(), context: "topic '\(topic)'")
                }
                topics.append(rkt)
            } catch {
                topics.forEach { rd_kafka_topic_destroy($0) }
                rd_kafka_destroy(handle)
                ref.release()
                throw error
            }
        }
        self.pointer = handle
        self.context = context
        self.contextRef = ref
        self.configuredTopics = topics
    }

    deinit {
        configuredTopics.forEach { rd_kafka_topic_destroy($0) }
        rd_kafka_destroy(pointer)
        contextRef.release()
    }

    static func context(of rk: OpaquePointer?) -> ClientContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Routes librdkafka's syslog-levelled log lines into swift-log.
private let rdkafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { rk, level, facility, buffer in
    guard let context = RdKafkaClient.context(of: rk) else { return }
    let fac = facility.map { String(cString: $0) } ?? ""
    let text = buffer.map { String(cString: $0) } ?? ""
    let swiftLevel: Logger.Level
    switch level {
    case 0...3: swiftLevel = .error
    case 4: swiftLevel = .warning
    case 5, 6: swiftLevel = .info
    default: swiftLevel = .debug
    }
    context.logger.log(level: swiftLevel, "\(text)", metadata: ["rdkafka.facility": "\(fac)"])
}
