import Foundation
import Kafka
import Logging

/// The LLM gateway stage: answer each request once. A request id answered before gets its
/// stored reply again; one in flight elsewhere is waited for; otherwise the model is called
/// through its chain of deployments (retries, failover, circuits), a streamed request gets
/// its chunks as delta events, and the reply goes out with one usage event carrying every
/// attempt, the tokens and the exact cost.
public struct CompleterStage: Stage {
    public let name = "completer"
    public let inputTopics: [String]
    private let catalog: ModelCatalog
    private let chain: ProviderChain
    private let ledger: (any RequestLedger)?
    let publisher: (any EventPublisher)?
    /// The prompt cache; nil answers every request from a provider.
    let cache: PromptCache?
    private let settings: CompleterSettings
    let emitter: ReplyEmitter
    let logger: Logger

    /// - Parameters:
    ///   - ledger: the idempotency store (Redis); nil answers every delivery afresh.
    ///   - publisher: where delta events of streamed requests go as they arrive; nil answers
    ///     streamed requests with the final reply only.
    ///   - cache: the prompt cache (Redis); nil calls a provider for every request.
    public init(config: SwitchboardConfig, providers: [String: any ChatProvider], ledger: (any RequestLedger)? = nil,
                publisher: (any EventPublisher)? = nil, cache: PromptCache? = nil, clock: any GatewayClock = SystemGatewayClock(),
                jitter: JitterSource = JitterSource(), health: DeploymentHealth? = nil, logger: Logger) {
        inputTopics = [config.topics.complete]
        catalog = ModelCatalog(models: config.models, defaultModel: config.defaultModel)
        settings = config.completer
        let timeouts = config.providers.map { ($0.name, Int64(config.completer.retry.attemptTimeoutMs ?? $0.timeoutMs)) }
        chain = ProviderChain(providers: providers, health: health ?? DeploymentHealth(config.completer.circuitBreaker),
                              policy: RetryPolicy(config.completer.retry), clock: clock, jitter: jitter,
                              attemptTimeoutMs: Dictionary(timeouts, uniquingKeysWith: { $1 }))
        self.ledger = config.completer.idempotency.enabled ? ledger : nil
        self.publisher = publisher
        self.cache = config.cache.enabled ? cache : nil
        emitter = ReplyEmitter(topics: config.topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let trace = EventHeaders.trace(from: record)
        guard let task = record.completionTask else {
            return emitter.damagedTask(record, stage: name, start: start, trace: trace)
        }
        var answer = Answer(task: task, start: start, queuedMs: queuedMs(record))
        answer.reply.route = task.route
        (answer.usage.tier, answer.usage.routeReason) = (task.route?.tier, task.route?.reason)
        // The router's model replaces the one the request names.
        let requested = task.route?.model ?? task.request.model
        guard var model = catalog.resolve(requested) else {
            return outputs(answer.failed(ReplyError(.unknownModel, "model '\(requested ?? "")' is not in the catalog (known: \(catalog.names.joined(separator: ", ")))")), trace: trace)
        }
        if task.route?.localOnly == true {
            // Only local deployments, on failover too: the chain never sees the others.
            model.deployments = model.deployments.filter(\.local)
            guard let first = model.deployments.first else {
                return outputs(answer.failed(ReplyError(.providerUnavailable, "tier '\(task.route?.tier ?? "")' may only use local deployments, and \(model.name) has none")), trace: trace)
            }
            (model.provider, model.providerModel) = (first.provider, first.providerModel)
        }
        answer.model = model
        var remainingMs = task.deadlineMs.map { $0 - Timestamp.nowMs() } ?? Int64(settings.defaultDeadlineMs)
        if ledger != nil {
            // Finish before the in-flight marker expires, or another delivery could start the request again.
            let ttl = Int64(settings.idempotency.inFlightTTLMs)
            remainingMs = min(remainingMs, max(ttl - 1_000, ttl / 2))
        }
        guard remainingMs > 0 else {
            return outputs(answer.failed(ReplyError(.deadlineExceeded, "the request's deadline passed before a model was called")), trace: trace)
        }
        if let window = model.contextWindow, PromptSize.estimatedTokens(task.request) > window {
            return outputs(answer.failed(ProviderError(.contextTooLong, "about \(PromptSize.estimatedTokens(task.request)) tokens for a window of \(window)").replyError), trace: trace)
        }

        // The request id is the idempotency key: never call a provider twice for one request.
        if let ledger {
            switch await claim(task.requestID, ledger: ledger, remainingMs: remainingMs) {
            case .answered(let stored): return StageResult(outputs: emitter.replay(stored.encoded(), trace: trace))
            case .busy: return outputs(answer.failed(ReplyError(.internalError, "the request is still being answered elsewhere")), trace: trace)
            case .claimed: break
            }
        }

        // A cached answer (or an identical request answered meanwhile) costs no provider call.
        let cacheStep = await consultCache(task, model: model, answer: &answer, trace: trace)
        if case .served(let served) = cacheStep {
            if let ledger { await ledger.store(served) }
            return StageResult(outputs: emitter.replay(served, trace: trace))
        }

        var call = ProviderRequest(model: model.providerModel, messages: task.request.messages, maxTokens: task.request.maxTokens,
                                   temperature: task.request.temperature, requestID: task.requestID, timeout: .milliseconds(remainingMs))
        (call.topP, call.stop) = (task.request.topP, task.request.stop?.values)
        var onDelta: DeltaHandler?
        if task.request.stream == true {
            let deltas = publisher.map { DeltaStream(task: task, model: model.name, publisher: $0, emitter: emitter, trace: trace) }
            onDelta = { text in await deltas?.send(text) }
        }
        let providerStart = ContinuousClock.now
        let outcome = await chain.run(call, model: model, deadlineMs: chain.clock.nowMs + remainingMs, onDelta: onDelta)
        answer.record(outcome, providerMs: elapsedMs(since: providerStart), stream: task.request.stream == true)
        await settleCache(cacheStep, answer: &answer)
        let stored = answer.stored().encoded()
        if let ledger { await ledger.store(stored) }
        return StageResult(outputs: emitter.replay(stored, trace: trace))
    }

    private func outputs(_ answer: Answer, trace: [KafkaHeader]) -> StageResult {
        StageResult(outputs: emitter.replay(answer.stored().encoded(), trace: trace))
    }

    /// Waits while another delivery of the same request is being answered; its marker expires
    /// if that process died, and then this one claims it.
    private func claim(_ requestID: String, ledger: any RequestLedger, remainingMs: Int64) async -> LedgerClaim {
        let giveUp = ContinuousClock.now + .milliseconds(settings.idempotency.inFlightTTLMs + settings.idempotency.pollMs)
        while true {
            let claim = await ledger.claim(requestID)
            guard claim == .busy, ContinuousClock.now < giveUp else { return claim }
            try? await Task.sleep(for: .milliseconds(settings.idempotency.pollMs))
        }
    }
}
