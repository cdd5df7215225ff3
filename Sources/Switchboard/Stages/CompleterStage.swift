import Foundation
import Kafka
import Logging

/// The LLM gateway stage: resolve the model, call its provider, and emit the reply to the
/// request's reply-to topic together with one usage event carrying tokens and exact cost.
public struct CompleterStage: Stage {
    public let name = "completer"
    public let inputTopics: [String]
    private let catalog: ModelCatalog
    private let providers: [String: any ChatProvider]
    private let providerTimeouts: [String: Duration]
    private let emitter: ReplyEmitter
    private let logger: Logger

    public init(config: SwitchboardConfig, providers: [String: any ChatProvider], logger: Logger) {
        inputTopics = [config.topics.complete]
        catalog = ModelCatalog(models: config.models, defaultModel: config.defaultModel)
        self.providers = providers
        providerTimeouts = Dictionary(uniqueKeysWithValues: config.providers.map { ($0.name, Duration.milliseconds($0.timeoutMs)) })
        emitter = ReplyEmitter(topics: config.topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let queued = queuedMs(record)
        let trace = EventHeaders.trace(from: record)
        guard let value = record.value, let task = try? EventCoding.decode(CompletionTask.self, from: value) else {
            // Only the gateway writes this topic, so this is a poisoned record: keep it, and
            // answer the caller if the headers say who that is.
            let requestID = record.header(CEHeader.id) ?? ""
            let outputs = emitter.rejection(ReplyError(.internalError, "the request was damaged in the pipeline"),
                                            requestID: requestID, principal: nil, replyTo: record.header(CEHeader.replyTo),
                                            stage: name, latencyMs: elapsedMs(since: start), trace: trace)
            return StageResult(outputs: outputs, deadLetter: DeadLetterReason(code: "schema", detail: "not a CompletionTask"))
        }
        func fail(_ error: ReplyError, model: ModelConfig? = nil, providerMs: Double? = nil) -> StageResult {
            StageMetrics.reply(stage: name, status: "error", code: error.code.rawValue)
            let latency = elapsedMs(since: start)
            var timings = task.timings
            timings["completer_ms"] = latency
            timings["completer_queue_ms"] = queued
            if let providerMs { timings["provider_ms"] = providerMs }
            let reply = Reply(requestID: task.requestID, status: .error, apiVersion: task.apiVersion, error: error,
                              provider: model?.provider, model: model?.name, timings: timings)
            let usage = UsageEvent(requestID: task.requestID, tenant: task.principal.tenant, keyID: task.principal.keyID,
                                   status: .error, errorCode: error.code.rawValue, stage: name, provider: model?.provider,
                                   model: model?.name, inputTokens: 0, outputTokens: 0, costPicoUSD: 0,
                                   latencyMs: latency, providerLatencyMs: providerMs, timestampMs: Timestamp.nowMs())
            return StageResult(outputs: [emitter.reply(reply, to: task.replyTo, trace: trace), emitter.usage(usage)])
        }

        guard let model = catalog.resolve(task.request.model) else {
            return fail(ReplyError(.unknownModel, "model '\(task.request.model ?? "")' is not in the catalog (known: \(catalog.names.joined(separator: ", ")))"))
        }
        guard let provider = providers[model.provider] else {
            return fail(ReplyError(.providerUnavailable, "provider '\(model.provider)' is not configured in this process"), model: model)
        }
        var timeout = providerTimeouts[model.provider] ?? .seconds(60)
        if let deadline = task.deadlineMs {
            let remaining = deadline - Timestamp.nowMs()
            guard remaining > 0 else {
                return fail(ReplyError(.deadlineExceeded, "the request's deadline passed before a model was called"), model: model)
            }
            timeout = min(timeout, .milliseconds(remaining))
        }

        let call = ProviderRequest(model: model.providerModel, messages: task.request.messages, maxTokens: task.request.maxTokens,
                                   temperature: task.request.temperature, requestID: task.requestID, timeout: timeout)
        let providerStart = ContinuousClock.now
        let response: ProviderResponse
        do {
            response = try await provider.complete(call)
        } catch {
            let providerMs = elapsedMs(since: providerStart)
            ProviderMetrics.record(provider: model.provider, model: model.name, seconds: providerMs / 1000, outcome: error.kind.rawValue)
            logger.warning("provider call failed", metadata: ["request_id": "\(task.requestID)", "provider": "\(model.provider)", "error": "\(error)"])
            return fail(error.replyError, model: model, providerMs: providerMs)
        }
        let providerMs = elapsedMs(since: providerStart)
        ProviderMetrics.record(provider: model.provider, model: model.name, seconds: providerMs / 1000, outcome: "ok")

        let cost = ModelCatalog.cost(model, inputTokens: response.inputTokens, outputTokens: response.outputTokens)
        ProviderMetrics.usage(tenant: task.principal.tenant, model: model.name, inputTokens: response.inputTokens,
                              outputTokens: response.outputTokens, costPicoUSD: cost)
        StageMetrics.reply(stage: name, status: "ok", code: nil)
        let latency = elapsedMs(since: start)
        var timings = task.timings
        timings["completer_ms"] = latency
        timings["completer_queue_ms"] = queued
        timings["provider_ms"] = providerMs
        let usage = Usage(inputTokens: response.inputTokens, outputTokens: response.outputTokens, costPicoUSD: cost)
        let reply = Reply(requestID: task.requestID, status: .ok, apiVersion: task.apiVersion, provider: model.provider, model: model.name,
                          choices: [Choice(index: 0, message: ChatMessage(role: "assistant", content: response.content), finishReason: response.finishReason)],
                          usage: usage, timings: timings)
        let event = UsageEvent(requestID: task.requestID, tenant: task.principal.tenant, keyID: task.principal.keyID, status: .ok,
                               errorCode: nil, stage: name, provider: model.provider, model: model.name,
                               inputTokens: response.inputTokens, outputTokens: response.outputTokens, costPicoUSD: cost,
                               latencyMs: latency, providerLatencyMs: providerMs, timestampMs: Timestamp.nowMs())
        return StageResult(outputs: [emitter.reply(reply, to: task.replyTo, trace: trace), emitter.usage(event)])
    }
}
