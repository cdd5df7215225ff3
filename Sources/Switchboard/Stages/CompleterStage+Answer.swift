import Foundation
import Kafka

extension CompleterStage {
    /// The reply and usage event of one request, built up as the request is worked on.
    struct Answer {
        let task: CompletionTask
        let start: ContinuousClock.Instant
        let queuedMs: Double
        /// The stage that answers: the completer, or the gateway for an exact cache hit.
        let stage: String
        var model: ModelConfig?
        var reply: Reply
        var usage: UsageEvent

        init(task: CompletionTask, start: ContinuousClock.Instant, queuedMs: Double, stage: String = "completer") {
            self.task = task
            self.start = start
            self.queuedMs = queuedMs
            self.stage = stage
            reply = Reply(requestID: task.requestID, status: .error, apiVersion: task.apiVersion)
            reply.retrieval = task.retrieval
            usage = UsageEvent(requestID: task.requestID, tenant: task.principal.tenant, keyID: task.principal.keyID, status: .error,
                               errorCode: nil, stage: stage, provider: nil, model: nil, inputTokens: 0, outputTokens: 0,
                               costPicoUSD: 0, latencyMs: 0, providerLatencyMs: nil, timestampMs: 0)
            usage.stream = task.request.stream == true ? true : nil
        }

        /// Fails before any provider call.
        func failed(_ error: ReplyError) -> Answer {
            var copy = self
            copy.reply.error = error
            copy.usage.errorCode = error.code.rawValue
            return copy
        }

        /// Takes in what the chain of deployments did.
        mutating func record(_ outcome: ChainOutcome, providerMs: Double, stream: Bool) {
            let model = self.model
            reply.provider = outcome.deployment?.provider
            reply.model = model?.name
            usage.provider = outcome.deployment?.provider
            usage.model = model?.name
            usage.deployment = outcome.deployment?.id
            usage.attempts = outcome.attempts
            usage.retries = max(0, outcome.attempts.count - 1)
            usage.failover = Set(outcome.attempts.map(\.deployment)).count > 1
            usage.providerLatencyMs = providerMs
            usage.timeToFirstTokenMs = outcome.firstChunkMs
            reply.timings["provider_ms"] = providerMs
            for attempt in outcome.attempts {
                ProviderMetrics.record(provider: attempt.provider, model: model?.name ?? "", seconds: attempt.latencyMs / 1000,
                                       outcome: attempt.errorClass ?? "ok")
            }
            switch outcome.result {
            case .success(let response):
                let cost = model.map { ModelCatalog.cost($0, inputTokens: response.inputTokens, outputTokens: response.outputTokens,
                                                         cachedInputTokens: response.cachedInputTokens) } ?? 0
                reply.status = .ok
                reply.choices = [Choice(index: 0, message: ChatMessage(role: "assistant", content: response.content), finishReason: response.finishReason)]
                reply.usage = Usage(inputTokens: response.inputTokens, outputTokens: response.outputTokens, costPicoUSD: cost,
                                    cachedInputTokens: response.cachedInputTokens > 0 ? response.cachedInputTokens : nil)
                usage.status = .ok
                usage.inputTokens = response.inputTokens
                usage.outputTokens = response.outputTokens
                usage.cachedInputTokens = response.cachedInputTokens
                usage.costPicoUSD = cost
                ProviderMetrics.usage(tenant: task.principal.tenant, model: model?.name ?? "", inputTokens: response.inputTokens,
                                      outputTokens: response.outputTokens, costPicoUSD: cost)
            case .failure(let error):
                reply.error = error.replyError
                usage.errorCode = error.replyError.code.rawValue
            }
        }

        /// The final reply and usage event, timed now.
        func stored() -> StoredAnswer {
            var reply = self.reply
            var usage = self.usage
            let latency = elapsedMs(since: start)
            reply.timings = task.timings.merging(reply.timings) { $1 }
            reply.timings["\(stage)_ms"] = latency
            reply.timings["\(stage)_queue_ms"] = queuedMs
            if reply.model == nil { reply.model = model?.name }
            if usage.model == nil { usage.model = model?.name }
            usage.latencyMs = latency
            usage.timestampMs = Timestamp.nowMs()
            StageMetrics.reply(stage: stage, status: reply.status.rawValue, code: reply.error?.code.rawValue)
            return StoredAnswer(replyTo: task.replyTo, reply: reply, usage: usage)
        }
    }
}

/// Somewhere to put an event as soon as it exists (delta events of a stream, which cannot
/// wait for the stage to finish). The Kafka producer is one.
public protocol EventPublisher: Sendable {
    func publish(_ record: KafkaOutgoingRecord) async throws
}

extension KafkaProducer: EventPublisher {
    public func publish(_ record: KafkaOutgoingRecord) async throws {
        _ = try await send(record)
    }
}

/// Numbers the chunks of one streamed answer and publishes each as a delta event, in order.
actor DeltaStream {
    private let task: CompletionTask
    private let model: String
    private let publisher: any EventPublisher
    private let emitter: ReplyEmitter
    private let trace: [KafkaHeader]
    private var sequence = 0

    init(task: CompletionTask, model: String, publisher: any EventPublisher, emitter: ReplyEmitter, trace: [KafkaHeader]) {
        self.task = task
        self.model = model
        self.publisher = publisher
        self.emitter = emitter
        self.trace = trace
    }

    func send(_ text: String) async {
        let delta = ReplyDelta(requestID: task.requestID, sequence: sequence, content: text, model: model)
        sequence += 1
        // Awaited one by one: the delivery report of chunk n comes before chunk n+1 is sent.
        try? await publisher.publish(emitter.delta(delta, to: task.replyTo, trace: trace))
    }
}

/// A cheap upper-bound guess of a prompt's size, to refuse what cannot fit before paying for it.
enum PromptSize {
    /// About four characters per token for English text, plus a few tokens per message.
    static func estimatedTokens(_ request: ChatRequest) -> Int {
        request.messages.reduce(0) { $0 + $1.content.utf8.count / 4 + 4 } + (request.maxTokens ?? 0)
    }
}
