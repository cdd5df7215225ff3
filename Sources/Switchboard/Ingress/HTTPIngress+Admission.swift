import Kafka

/// The gateway stage run in the ingress's own process (`gateway.admit_at_ingress`).
extension HTTPIngress {
    enum Admission {
        /// Admitted: these records go to the next stage, and the reply comes on this
        /// ingress's reply topic.
        case forward([KafkaOutgoingRecord])
        /// The gateway answered itself (a rejection or an exact cache hit): the reply's value.
        case answer([UInt8]?)
    }

    /// Runs the gateway stage on a call's request event, exactly as the stage would handle it
    /// on the requests topic. What the gateway answers itself is answered at once, after its
    /// other records (the usage event of a rejection or a cache hit) are delivered. A malformed
    /// body is not dead-lettered here: it never was a record on a topic, and the caller gets the
    /// reason in the response (the gateway's log line and usage event record it too).
    /// `grant` is the key the door checked, so the gateway does not look it up again.
    func admit(_ request: KafkaOutgoingRecord, grant: KeyGrant, gateway: GatewayStage) async -> Admission {
        let record = KafkaRecord(topic: request.topic, partition: -1, offset: -1, key: request.key, value: request.value,
                                 headers: request.headers, timestamp: Timestamp.nowMs())
        let result = await gateway.process(record, grant: grant)
        // With a valid key the gateway either forwards the request or answers this ingress's
        // own topic itself.
        guard let index = result.outputs.firstIndex(where: { $0.topic == replyTopic }) else { return .forward(result.outputs) }
        var others = result.outputs
        let answer = others.remove(at: index)
        for other in others {
            do {
                try await producer.send(other)
            } catch {
                logger.error("ingress could not produce the gateway's record", metadata: [
                    "request_id": "\(record.header(CEHeader.id) ?? "-")", "topic": "\(other.topic)", "error": "\(error)",
                ])
            }
        }
        return .answer(answer.value)
    }
}
