import Embeddings
import Kafka
import Logging

/// The embedding service's side of `POST /v1/embeddings`: `llm.embed.v1` in (calls the HTTP
/// ingress authenticated and admitted), one reply with a vector per input to the caller's
/// reply topic, and a usage event (tokens counted by the model's own tokenizer; the local
/// model costs nothing) that settlement reconciles against the limits.
///
/// The answer is a function of the input, so a redelivered record is answered again with the
/// same events (their ids derive from the request id, and consumers count each request once).
public struct EmbeddingsStage: Stage {
    public let name = "embeddings"
    public let inputTopics: [String]
    /// The name calls give the model (`embeddings.model`), used in replies and usage.
    let modelName: String
    private let embedder: any TextEmbedder
    private let countTokens: @Sendable (String) -> Int
    /// The most tokens one input may have, `[CLS]` and `[SEP]` included (the model's positions).
    let maxTokens: Int
    private let emitter: ReplyEmitter
    private let logger: Logger

    public init(topics: TopicNames, modelName: String, embedder: any TextEmbedder, maxTokens: Int,
                countTokens: @escaping @Sendable (String) -> Int, logger: Logger) {
        inputTopics = [topics.embed]
        self.modelName = modelName
        self.embedder = embedder
        self.maxTokens = maxTokens
        self.countTokens = countTokens
        emitter = ReplyEmitter(topics: topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let trace = EventHeaders.trace(from: record)
        let task: EmbeddingTask
        do {
            guard let value = record.value else { throw ReplyError(.invalidRequest, "the record has no value") }
            task = try EventCoding.decode(EmbeddingTask.self, from: value)
        } catch {
            // Not an llm.embed.v1 event: whoever sent it hears why, if it can be told.
            let reason = DeadLetterReason(code: "schema", detail: "not an llm.embed.v1 event: \(error)")
            let outputs = record.header(CEHeader.id).map { id in
                emitter.rejection(ReplyError(.invalidRequest, reason.detail), requestID: id, principal: nil,
                                  replyTo: record.header(CEHeader.replyTo), stage: name, latencyMs: elapsedMs(since: start), trace: trace)
            } ?? []
            return StageResult(outputs: outputs, deadLetter: reason)
        }
        // From the ingress to this stage, not counting the work below.
        let queuedMs = max(0, Double(Timestamp.nowMs() - task.receivedAtMs))
        func reject(_ error: ReplyError) -> StageResult {
            log(task, outcome: "rejected", code: error.code.rawValue, tokens: 0, start: start)
            return StageResult(outputs: emitter.rejection(error, requestID: task.requestID, principal: task.principal, replyTo: task.replyTo,
                                                          stage: name, latencyMs: elapsedMs(since: start), trace: trace))
        }
        if let deadline = task.deadlineMs, deadline <= Timestamp.nowMs() {
            return reject(ReplyError(.deadlineExceeded, "the call's deadline had passed when the embedding service got it"))
        }
        guard !task.input.isEmpty, task.input.allSatisfy({ !$0.isEmpty }) else {
            return reject(ReplyError(.invalidRequest, "input must be one or more non-empty strings"))
        }
        var tokens = 0
        for (index, text) in task.input.enumerated() {
            let count = countTokens(text)
            if count > maxTokens {
                return reject(ReplyError(.invalidRequest,
                    "input[\(index)] is \(count) tokens; \(modelName) takes at most \(maxTokens) per input: split the text"))
            }
            tokens += count
        }
        let embedStart = ContinuousClock.now
        let vectors: [[Float]]
        do {
            vectors = try await embedder.embed(task.input)
        } catch {
            logger.error("embedding failed", metadata: ["request_id": "\(task.requestID)", "error": "\(error)"])
            return reject(ReplyError(.internalError, "the embedding model failed; retry shortly"))
        }
        let embedMs = elapsedMs(since: embedStart)
        let usage = Usage(inputTokens: tokens, outputTokens: 0, costPicoUSD: 0)
        var reply = Reply(requestID: task.requestID, status: .ok, provider: "local", model: modelName, usage: usage,
                          timings: ["queue_ms": queuedMs, "embed_ms": embedMs])
        reply.embeddings = vectors.map(EmbeddingVector.encode)
        let event = UsageEvent(requestID: task.requestID, tenant: task.principal.tenant, keyID: task.principal.keyID, status: .ok,
                               errorCode: nil, stage: name, provider: "local", model: modelName, inputTokens: tokens, outputTokens: 0,
                               costPicoUSD: 0, latencyMs: elapsedMs(since: start), providerLatencyMs: embedMs, timestampMs: Timestamp.nowMs())
        SwitchboardStageMetrics.reply(stage: name, status: "ok", code: nil)
        log(task, outcome: "answered", code: nil, tokens: tokens, start: start)
        return StageResult(outputs: emitter.replay(StoredAnswer(replyTo: task.replyTo, reply: reply, usage: event).encoded(), trace: trace))
    }

    private func log(_ task: EmbeddingTask, outcome: String, code: String?, tokens: Int, start: ContinuousClock.Instant) {
        logger.info("request", metadata: [
            "request_id": "\(task.requestID)", "tenant": "\(task.principal.tenant)", "key_id": "\(task.principal.keyID)",
            "stage": "\(name)", "outcome": "\(outcome)", "error_code": "\(code ?? "-")", "inputs": "\(task.input.count)",
            "tokens": "\(tokens)", "latency_ms": "\(String(format: "%.3f", elapsedMs(since: start)))",
        ])
    }
}
