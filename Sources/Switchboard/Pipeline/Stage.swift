import Kafka

/// A pipeline stage: turns one input record into output records. It reads like the business
/// rule it implements; consuming, committing, dead-lettering, retries and metrics live in the
/// shared `StageRunner`.
public protocol Stage: Sendable {
    /// The stage name used for the consumer group, logs and metrics.
    var name: String { get }
    var inputTopics: [String] { get }
    /// Handles one record. Never throws: bad input becomes an error reply and/or a dead letter.
    func process(_ record: KafkaRecord) async -> StageResult
}

/// What a stage wants produced for one input record. The runner produces all of it and waits
/// for every delivery report before the input's offset may be committed.
public struct StageResult: Sendable {
    public var outputs: [KafkaOutgoingRecord]
    /// Set when the input goes to the dead-letter topic, with the reason.
    public var deadLetter: DeadLetterReason?

    public init(outputs: [KafkaOutgoingRecord] = [], deadLetter: DeadLetterReason? = nil) {
        self.outputs = outputs
        self.deadLetter = deadLetter
    }
}

/// Why a record was dead-lettered: a stable code and a readable detail.
public struct DeadLetterReason: Sendable, Equatable {
    public var code: String
    public var detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// Headers on a dead-letter record, besides the original ones.
public enum DeadLetterHeader {
    public static let reason = "dlq_reason"
    public static let detail = "dlq_detail"
    public static let stage = "dlq_stage"
    public static let sourceTopic = "dlq_source_topic"
    public static let sourcePartition = "dlq_source_partition"
    public static let sourceOffset = "dlq_source_offset"

    /// The dead-letter record for `record`: original bytes and headers, minus the credential.
    public static func record(for record: KafkaRecord, reason: DeadLetterReason, stage: String, topic: String) -> KafkaOutgoingRecord {
        let kept = record.headers.filter { $0.name.lowercased() != CEHeader.authorization }
        let detail = String(reason.detail.prefix(1000))
        return KafkaOutgoingRecord(
            topic: topic, key: record.key, value: record.value,
            headers: kept + [
                KafkaHeader(Self.reason, reason.code),
                KafkaHeader(Self.detail, detail),
                KafkaHeader(Self.stage, stage),
                KafkaHeader(sourceTopic, record.topic),
                KafkaHeader(sourcePartition, String(record.partition)),
                KafkaHeader(sourceOffset, String(record.offset)),
            ])
    }
}
