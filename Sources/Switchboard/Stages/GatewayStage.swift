import Foundation
import Kafka
import Logging
import Redis

/// The API gateway: authenticate the key, check the reply-to, validate the request against its
/// contract (v1, or v2 upcast to the one internal form) and the configured limits, check the
/// key's scope, admit it against the global rate limits and budgets, strip the credential, and
/// forward to the router. Every request leaves with exactly one outcome: forwarded, or an
/// error reply (and a dead letter when the record itself is malformed).
public struct GatewayStage: Stage {
    public let name = "gateway"
    public let inputTopics: [String]
    let keys: KeyDirectory
    let admission: AdmissionControl?
    let contracts: [RequestVersion: TopicContract]
    let versionsByTopic: [String: RequestVersion]
    let models: ModelCatalog
    let modelList: [ModelConfig]
    /// Whether a router picks the model of requests that name none (or `auto`).
    let routed: Bool
    let settings: GatewaySettings
    let routing: GatewayRouting
    /// Exact answers looked up here (see `CacheSettings.gatewayLookup`); nil: never.
    let cache: PromptCache?
    let topics: TopicNames
    let emitter: ReplyEmitter
    let logger: Logger

    /// A gateway; without `redis` it uses the config's keys only and enforces no rate limits.
    /// - Parameter cache: the prompt cache, for exact hits answered here when routing is inline.
    public init(config: SwitchboardConfig, catalog: TopicCatalog, redis: RedisClient? = nil, routing: GatewayRouting = .forward,
                cache: PromptCache? = nil, logger: Logger) throws(ConfigError) {
        self.routing = routing
        self.cache = config.cache.enabled && config.cache.gatewayLookup ? cache : nil
        var contracts: [RequestVersion: TopicContract] = [:]
        for version in RequestVersion.allCases {
            // The contract is the published schema, whatever the topic is called in this deployment.
            guard let contract = catalog[version.contract] else {
                throw ConfigError(key: "topics", message: "no contract for \(version.contract) in topics/")
            }
            contracts[version] = contract
        }
        self.contracts = contracts
        var versions = [config.topics.requests: RequestVersion.v1]
        if let v2 = config.topics.requestsV2 { versions[v2] = .v2 }
        versionsByTopic = versions
        inputTopics = [config.topics.requests] + (config.topics.requestsV2.map { [$0] } ?? [])
        let outage = RedisOutage(logger: logger)
        keys = KeyDirectory(config: config, redis: redis, outage: outage)
        admission = redis.map { AdmissionControl(config: config, redis: $0, outage: outage) }
        models = ModelCatalog(models: config.models, defaultModel: config.defaultModel)
        modelList = config.models
        routed = config.routing != nil
        settings = config.gateway
        topics = config.topics
        emitter = ReplyEmitter(topics: config.topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        return await process(record, grant: await keys.authenticate(authorization: record.header(CEHeader.authorization)), start: start)
    }

    /// Handles `record` whose credential the caller already looked up (the HTTP ingress checks
    /// it at the door): `grant` is its key, nil when unknown.
    func process(_ record: KafkaRecord, grant: KeyGrant?, start: ContinuousClock.Instant = .now) async -> StageResult {
        let requestID = record.header(CEHeader.id) ?? ""
        let version = versionsByTopic[record.topic] ?? .v1
        let requestedReplyTo = record.header(CEHeader.replyTo) ?? topics.results
        let trace = EventHeaders.trace(from: record)
        let principal = grant?.principal
        var prompt: [ChatMessage]?

        func reject(_ error: ReplyError, replyTo: String?, deadLetter: DeadLetterReason? = nil) -> StageResult {
            log(requestID: requestID, principal: principal, version: version, outcome: "rejected", code: error.code.rawValue,
                start: start, prompt: prompt)
            let records = emitter.rejection(error, requestID: requestID, principal: principal, replyTo: replyTo,
                                            stage: name, latencyMs: elapsedMs(since: start), trace: trace, apiVersion: version.rawValue)
            return StageResult(outputs: records, deadLetter: deadLetter)
        }

        // The body is inspected before anything else so a malformed record is dead-lettered
        // whoever sent it; the caller's answer then depends on its key.
        var inspected = inspect(record.value, version: version)
        if requestID.isEmpty, case .success = inspected {
            // Without a request id nobody can match a reply: the record itself is malformed.
            inspected = .failure(Rejection(error: ReplyError(.invalidRequest, "missing header ce_id (the request id)"),
                                           deadLetter: DeadLetterReason(code: "missing_header", detail: "ce_id")))
        }
        if case .success = inspected, let type = record.header(CEHeader.type), type != version.eventType,
           type.hasPrefix("llm.request.") {
            let supported = RequestVersion.allCases.map(\.eventType).joined(separator: ", ")
            inspected = .failure(Rejection(error: ReplyError(.unsupportedVersion, "ce_type '\(type.prefix(60))' is not accepted on \(record.topic); send \(version.eventType) here (supported: \(supported))")))
        }
        let deadLetter: DeadLetterReason? = if case .failure(let r) = inspected { r.deadLetter } else { nil }
        // Without a valid key, only the default results topic gets an answer: an unknown
        // caller can never make the pipeline write into a topic of its choosing.
        guard let grant else {
            let replyTo = requestedReplyTo == topics.results ? topics.results : nil
            let missing = record.header(CEHeader.authorization) == nil
            let error = ReplyError(.unauthorized, missing ? "missing authorization header (expected 'Bearer <API key>')" : "unknown or revoked API key")
            return reject(error, replyTo: replyTo, deadLetter: deadLetter)
        }
        guard mayReply(grant, to: requestedReplyTo) else {
            return reject(ReplyError(.forbidden, "reply topic '\(requestedReplyTo.prefix(200))' is not allowed for this key"),
                          replyTo: topics.results, deadLetter: deadLetter)
        }
        let replyTo = requestedReplyTo
        let request: ChatRequest
        switch inspected {
        case .failure(let rejection):
            return reject(rejection.error, replyTo: replyTo, deadLetter: rejection.deadLetter)
        case .success(let parsed):
            request = parsed
            prompt = parsed.messages
        }
        let promptTokens = TokenEstimate.prompt(request.messages)
        if let problem = checkLimits(request, promptTokens: promptTokens) ?? checkScope(request, grant: grant) {
            return reject(problem, replyTo: replyTo)
        }
        var deadline: Int64?
        if let text = record.header(CEHeader.deadline) {
            guard let ms = Int64(text) else {
                return reject(ReplyError(.invalidRequest, "ce_deadline must be epoch milliseconds, got '\(text.prefix(40))'"), replyTo: replyTo)
            }
            guard ms > Timestamp.nowMs() else {
                return reject(ReplyError(.deadlineExceeded, "the request's deadline had passed when it reached the gateway"), replyTo: replyTo)
            }
            deadline = ms
        }
        var task = CompletionTask(requestID: requestID, principal: grant.principal, apiVersion: version.rawValue, replyTo: replyTo,
                                  deadlineMs: deadline, receivedAtMs: Timestamp.nowMs(), request: request,
                                  timings: ["gateway_queue_ms": queuedMs(record)])
        task.allowedModels = allowedModels(grant)
        var topic = topics.route
        if case .inline(let router) = routing {
            // Routed before admission, so the estimate is priced at the model that will answer.
            let routeStart = ContinuousClock.now
            if let router, let error = await router.route(&task) {
                return reject(error, replyTo: replyTo)
            }
            task.timings["router_ms"] = elapsedMs(since: routeStart)
            topic = RouterStage.nextTopic(for: task, topics: topics)
        }
        // The model that will answer, as far as the gateway knows: admission prices at it, and
        // an exact cache hit is looked up under it.
        let model = models.resolve(task.route?.model ?? request.model)
        if let admission {
            let demand = self.demand(requestID: requestID, request: request, model: model, promptTokens: promptTokens,
                                     grant: grant, deadline: deadline)
            if let limited = await admission.admit(demand) {
                return reject(limited, replyTo: replyTo)
            }
        }
        if case .inline = routing, let model, let hit = await cachedAnswer(task, model: model, start: start, trace: trace) {
            log(requestID: requestID, principal: grant.principal, version: version, outcome: "answered from cache", code: nil, start: start, prompt: prompt)
            return StageResult(outputs: emitter.replay(hit, trace: trace))
        }
        task.timings["gateway_ms"] = elapsedMs(since: start)
        // New headers, never the incoming ones: the credential stays here.
        var headers = EventHeaders.make(type: "llm.complete.v1", id: requestID, extra: [KafkaHeader(CEHeader.replyTo, replyTo)] + trace)
        if let deadline { headers.append(KafkaHeader(CEHeader.deadline, String(deadline))) }
        log(requestID: requestID, principal: grant.principal, version: version, outcome: "forwarded", code: nil, start: start, prompt: prompt)
        return StageResult(outputs: [KafkaOutgoingRecord(topic: topic, key: record.key ?? Array(requestID.utf8),
                                                         value: EventCoding.encode(task), headers: headers)])
    }

    /// The reply and usage event of an exact cache hit, answered here; nil sends the request on
    /// (no cache, retrieval or streaming asked for, not cacheable, or a miss).
    func cachedAnswer(_ task: CompletionTask, model: ModelConfig, start: ContinuousClock.Instant, trace: [KafkaHeader]) async -> EncodedAnswer? {
        guard let cache, task.request.retrieval == nil, task.request.stream != true,
              let plan = cache.plan(for: task, model: model.name, counting: false) else { return nil }
        let lookupStart = ContinuousClock.now
        guard let hit = await cache.peek(plan) else { return nil }
        var answer = CompleterStage.Answer(task: task, start: start, queuedMs: task.timings["gateway_queue_ms"] ?? 0, stage: name)
        answer.model = model
        answer.reply.route = task.route
        (answer.usage.tier, answer.usage.routeReason) = (task.route?.tier, task.route?.reason)
        answer.reply.timings["cache_ms"] = elapsedMs(since: lookupStart)
        answer.recordHit(hit)
        return answer.stored().encoded()
    }

    /// The tenant's own reply topics, the default one, and any ingress reply topic.
    func mayReply(_ grant: KeyGrant, to topic: String) -> Bool {
        grant.replyTopics.contains(topic)
            || (!settings.ingressReplyPrefix.isEmpty && topic.hasPrefix(settings.ingressReplyPrefix) && topic.count > settings.ingressReplyPrefix.count)
    }

    /// What admission counts: estimated tokens (prompt plus the most it may generate) and cost.
    func demand(requestID: String, request: ChatRequest, model: ModelConfig?, promptTokens: Int, grant: KeyGrant, deadline: Int64?) -> RateLimiter.Demand {
        let output = request.maxTokens ?? settings.defaultMaxTokens
        let cost = model.map { ModelCatalog.cost($0, inputTokens: promptTokens, outputTokens: output) } ?? 0
        return RateLimiter.Demand(requestID: requestID, grant: grant, tokens: promptTokens + output, costPicoUSD: cost,
                                  inFlightTTLMs: settings.inFlightTTLMs(deadline: deadline))
    }

    func log(requestID: String, principal: Principal?, version: RequestVersion, outcome: String, code: String?,
             start: ContinuousClock.Instant, prompt: [ChatMessage]?) {
        // The fields are built inside swift-log's autoclosure: only when the line is written.
        logger.info("request", metadata: logFields(requestID: requestID, principal: principal, version: version, outcome: outcome,
                                                   code: code, start: start, prompt: prompt))
    }

    private func logFields(requestID: String, principal: Principal?, version: RequestVersion, outcome: String, code: String?,
                           start: ContinuousClock.Instant, prompt: [ChatMessage]?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": "\(requestID)", "tenant": "\(principal?.tenant ?? "-")", "key_id": "\(principal?.keyID ?? "-")",
            "stage": "gateway", "api_version": "\(version.rawValue)", "outcome": "\(outcome)", "error_code": "\(code ?? "-")",
            "latency_ms": "\(String(format: "%.3f", elapsedMs(since: start)))",
        ]
        if settings.logPrompts, let prompt {
            metadata["prompt"] = "\(prompt.map { "\($0.role): \($0.content)" }.joined(separator: "\n").prefix(4000))"
        }
        return metadata
    }
}

/// Where the gateway sends the requests it admits.
public enum GatewayRouting: Sendable {
    /// To the router stage over `llm.route.v1`.
    case forward
    /// Routed in the gateway's process by this router (nil: no `routing` section, the
    /// default model answers), then straight to the retriever or the completer.
    case inline(PromptRouter?)
}
