import CRdKafka

/// librdkafka properties passed through unchanged, so SASL, TLS and every tuning knob of a real
/// cluster work without code changes. Defaults are tuned for low latency on the dev broker.
public struct KafkaConfiguration: Sendable {
    /// Raw librdkafka properties (`bootstrap.servers`, `security.protocol`, ...).
    public var properties: [String: String]
    /// Topic-level librdkafka properties of a producer by topic name, for example
    /// `compression.type` for one topic only. Topics not listed use the client's properties.
    public var topicProperties: [String: [String: String]] = [:]

    /// An empty `bootstrapServers` leaves the property unset (a client that connects nowhere).
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = ["bootstrap.servers": bootstrapServers].merging(properties) { $1 }
    }

    public var bootstrapServers: String { properties["bootstrap.servers"] ?? "" }

    /// Returns a copy with extra properties; later values win.
    public func with(_ extra: [String: String]) -> KafkaConfiguration {
        var copy = self
        copy.properties.merge(extra) { $1 }
        return copy
    }

    /// Builds an `rd_kafka_conf_t`; the caller owns it until `rd_kafka_new` succeeds.
    func makeConf() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(.configuration, "rd_kafka_conf_new failed")
        }
        do {
            try Self.apply(properties, context: "property") { rd_kafka_conf_set(conf, $0, $1, $2, $3) }
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }
        return conf
    }

    /// Builds the `rd_kafka_topic_conf_t` of `topic` from ``topicProperties``; nil when the
    /// topic has none. The caller owns it until `rd_kafka_topic_new` takes it.
    func makeTopicConf(for topic: String) throws(KafkaError) -> OpaquePointer? {
        guard let properties = topicProperties[topic] else { return nil }
        guard let conf = rd_kafka_topic_conf_new() else {
            throw KafkaError(.configuration, "rd_kafka_topic_conf_new failed")
        }
        do {
            try Self.apply(properties, context: "topic '\(topic)' property") { rd_kafka_topic_conf_set(conf, $0, $1, $2, $3) }
        } catch {
            rd_kafka_topic_conf_destroy(conf)
            throw error
        }
        return conf
    }

    /// Sets each non-empty property in key order; the first one librdkafka refuses throws with
    /// its reason.
    private static func apply(_ properties: [String: String], context: String,
                              _ set: (String, String, UnsafeMutablePointer<CChar>?, Int) -> rd_kafka_conf_res_t) throws(KafkaError) {
        var errbuf = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let result = errbuf.withUnsafeMutableBufferPointer { set(key, value, $0.baseAddress, $0.count) }
            if result != RD_KAFKA_CONF_OK {
                let reason = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(.configuration, "\(context) '\(key)': \(reason)")
            }
        }
    }
}
