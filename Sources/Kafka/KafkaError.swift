import CRdKafka

/// The one error type of the Kafka layer: a stable code, a readable message, and whether
/// trying the same operation again may succeed.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// Stable error classes that callers branch on.
    public enum Code: String, Sendable {
        case configuration
        case clientCreation
        case produce
        case delivery
        case consume
        case commit
        case admin
        case timeout
        case closed
    }

    public let code: Code
    public let message: String
    /// librdkafka's own error code where one exists (`rd_kafka_resp_err_t`).
    public let rdkafkaCode: Int32?
    public let isRetriable: Bool
    /// True when the broker refused to create a topic because it exists.
    public var isTopicAlreadyExists: Bool { rdkafkaCode == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue }
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, rdkafkaCode: Int32? = nil, isRetriable: Bool = false,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.rdkafkaCode = rdkafkaCode
        self.isRetriable = isRetriable
        self.file = file
        self.line = line
    }

    /// Converts a librdkafka response error at the C boundary.
    static func rd(_ code: Code, _ err: rd_kafka_resp_err_t, context: String,
                   file: String = #fileID, line: Int = #line) -> KafkaError {
        let text = String(cString: rd_kafka_err2str(err))
        let retriable = err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR__TIMED_OUT
            || err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT
            || err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
        return KafkaError(code, "\(context): \(text)", rdkafkaCode: err.rawValue,
                          isRetriable: retriable, file: file, line: line)
    }

    public var description: String { "kafka \(code.rawValue): \(message)" }
}
