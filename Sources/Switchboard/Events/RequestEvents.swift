import Foundation
import Kafka

/// Builds request records the way a submitter does: CloudEvents headers, the credential in
/// `authorization`, the reply-to and an optional deadline.
public enum RequestEvents {
    public static func make(_ request: ChatRequest, apiKey: String, topic: String = "llm.requests.v1",
                            requestID: String = EventID.random(), replyTo: String? = nil,
                            deadlineMs: Int64? = nil, source: String = "switchboard-cli") -> KafkaOutgoingRecord {
        var extra = [KafkaHeader(CEHeader.authorization, "Bearer \(apiKey)")]
        if let replyTo { extra.append(KafkaHeader(CEHeader.replyTo, replyTo)) }
        if let deadlineMs { extra.append(KafkaHeader(CEHeader.deadline, String(deadlineMs))) }
        return KafkaOutgoingRecord(topic: topic, key: Array(requestID.utf8), value: EventCoding.encode(request),
                                   headers: EventHeaders.make(type: "llm.request.v1", id: requestID, source: source, extra: extra))
    }
}
