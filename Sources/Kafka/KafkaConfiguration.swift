import CRdKafka

/// librdkafka properties passed through unchanged, so SASL, TLS and every tuning knob of a real
/// cluster work without code changes. Defaults are tuned for low latency on the dev broker.
public struct KafkaConfiguration: Sendable {
    /// Raw librdkafka properties (`bootstrap.servers`, `security.protocol`, ...).
    public var properties: [String: String]

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
        var errbuf = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let result = rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(.configuration, "property '\(key)': \(reason)")
            }
        }
        return conf
    }
}
