import Kafka

extension CompletionTask {
    /// A task as the gateway forwards it, for feeding the completer directly (benchmarks,
    /// replays, tests): keyed by the request id, with the CloudEvents headers the gateway sets.
    public static func record(requestID: String, principal: Principal, request: ChatRequest, replyTo: String, topic: String,
                              deadlineMs: Int64? = nil) -> KafkaOutgoingRecord {
        let task = CompletionTask(requestID: requestID, principal: principal, apiVersion: "v1", replyTo: replyTo, deadlineMs: deadlineMs,
                                  receivedAtMs: Timestamp.nowMs(), request: request, timings: [:])
        var headers = EventHeaders.make(type: "llm.complete.v1", id: requestID, extra: [KafkaHeader(CEHeader.replyTo, replyTo)])
        if let deadlineMs { headers.append(KafkaHeader(CEHeader.deadline, String(deadlineMs))) }
        return KafkaOutgoingRecord(topic: topic, key: Array(requestID.utf8), value: EventCoding.encode(task), headers: headers)
    }
}
