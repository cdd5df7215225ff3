import Kafka

/// Builds the reply and usage records stages emit, with their CloudEvents headers.
public struct ReplyEmitter: Sendable {
    public let topics: TopicNames

    public init(topics: TopicNames) {
        self.topics = topics
    }

    /// The reply record for `reply`, to `topic`, keyed by the request id.
    public func reply(_ reply: Reply, to topic: String, trace: [KafkaHeader] = []) -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(
            topic: topic, key: Array(reply.requestID.utf8), value: EventCoding.encode(reply),
            headers: EventHeaders.make(type: "llm.reply.v1", extra: [KafkaHeader(CEHeader.requestID, reply.requestID)] + trace))
    }

    /// The usage record, keyed by tenant so one tenant's usage stays in order.
    public func usage(_ event: UsageEvent) -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(
            topic: topics.usage, key: Array((event.tenant ?? event.requestID).utf8), value: EventCoding.encode(event),
            headers: EventHeaders.make(type: "llm.usage.v1", extra: [KafkaHeader(CEHeader.requestID, event.requestID)]))
    }

    /// The reply and usage records of a stored answer. Their event ids derive from the request
    /// id, so a re-emitted answer is the same event and consumers can drop the copy by `ce_id`.
    public func replay(_ encoded: EncodedAnswer, trace: [KafkaHeader] = []) -> [KafkaOutgoingRecord] {
        let answer = encoded.answer
        let id = answer.reply.requestID
        return [
            KafkaOutgoingRecord(topic: answer.replyTo, key: Array(id.utf8), value: encoded.reply,
                                headers: EventHeaders.make(type: "llm.reply.v1", id: id + "/reply", extra: [KafkaHeader(CEHeader.requestID, id)] + trace)),
            KafkaOutgoingRecord(topic: topics.usage, key: Array((answer.usage.tenant ?? id).utf8), value: encoded.usage,
                                headers: EventHeaders.make(type: "llm.usage.v1", id: id + "/usage", extra: [KafkaHeader(CEHeader.requestID, id)])),
        ]
    }

    /// A delta event of a streamed answer, keyed by the request id like the final reply so
    /// both land on one partition, in order.
    public func delta(_ delta: ReplyDelta, to topic: String, trace: [KafkaHeader] = []) -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(
            topic: topic, key: Array(delta.requestID.utf8), value: EventCoding.encode(delta),
            headers: EventHeaders.make(type: "llm.reply.delta.v1", id: "\(delta.requestID)/delta/\(delta.sequence)",
                                       extra: [KafkaHeader(CEHeader.requestID, delta.requestID)] + trace))
    }

    /// Reply plus usage for a request that failed before reaching a provider.
    public func rejection(_ error: ReplyError, requestID: String, principal: Principal?, replyTo: String?, stage: String,
                          latencyMs: Double, trace: [KafkaHeader] = [], apiVersion: String = "v1") -> [KafkaOutgoingRecord] {
        SwitchboardStageMetrics.reply(stage: stage, status: "error", code: error.code.rawValue)
        var records: [KafkaOutgoingRecord] = []
        if let replyTo {
            var answer = Reply.failure(requestID: requestID, error, timings: ["\(stage)_ms": latencyMs])
            answer.apiVersion = apiVersion
            records.append(reply(answer, to: replyTo, trace: trace))
        }
        records.append(usage(UsageEvent(
            requestID: requestID, tenant: principal?.tenant, keyID: principal?.keyID, status: .error,
            errorCode: error.code.rawValue, stage: stage, provider: nil, model: nil, inputTokens: 0, outputTokens: 0,
            costPicoUSD: 0, latencyMs: latencyMs, providerLatencyMs: nil, timestampMs: Timestamp.nowMs())))
        return records
    }
}

extension KafkaRecord {
    /// The task this record carries on an internal stage topic; nil when it is not one.
    var completionTask: CompletionTask? {
        value.flatMap { try? EventCoding.decode(CompletionTask.self, from: $0) }
    }
}

extension ReplyEmitter {
    /// The answer to a record on an internal topic that is not a `CompletionTask`: only the
    /// pipeline writes those topics, so it was damaged. It is dead-lettered, and the caller gets
    /// an error reply when the headers say who that is.
    func damagedTask(_ record: KafkaRecord, stage: String, start: ContinuousClock.Instant, trace: [KafkaHeader]) -> StageResult {
        let outputs = rejection(ReplyError(.internalError, "the request was damaged in the pipeline"),
                                requestID: record.header(CEHeader.id) ?? "", principal: nil, replyTo: record.header(CEHeader.replyTo),
                                stage: stage, latencyMs: elapsedMs(since: start), trace: trace)
        return StageResult(outputs: outputs, deadLetter: DeadLetterReason(code: "schema", detail: "not a CompletionTask"))
    }
}

typealias SwitchboardStageMetrics = StageMetrics

/// Milliseconds since `start`, for timings in events.
func elapsedMs(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start).inMilliseconds
}

extension Duration {
    /// This duration in (fractional) milliseconds.
    var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
    /// This duration in (fractional) seconds.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// How long `record` waited between being produced and reaching this stage (Kafka CreateTime;
/// clocks of different hosts may disagree, so this is clamped at zero).
func queuedMs(_ record: KafkaRecord) -> Double {
    guard let produced = record.timestamp else { return 0 }
    return Double(max(0, Timestamp.nowMs() - produced))
}
