import Kafka
import Logging

/// The router: picks the model tier of each request (`PromptRouter`), records the decision on
/// the task, and forwards it to the retriever when it has a `retrieval` block, else straight
/// to the completer. Without a `routing` section it forwards requests unchanged.
public struct RouterStage: Stage {
    public let name = "router"
    public let inputTopics: [String]
    let router: PromptRouter?
    let topics: TopicNames
    let emitter: ReplyEmitter
    let logger: Logger

    public init(config: SwitchboardConfig, router: PromptRouter?, logger: Logger) {
        inputTopics = [config.topics.route]
        self.router = router
        topics = config.topics
        emitter = ReplyEmitter(topics: config.topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let trace = EventHeaders.trace(from: record)
        guard var task = record.completionTask else {
            return emitter.damagedTask(record, stage: name, start: start, trace: trace)
        }
        if let router, let error = await router.route(&task) {
            log(task, outcome: "rejected", detail: error.code.rawValue, start: start)
            return StageResult(outputs: emitter.rejection(error, requestID: task.requestID, principal: task.principal, replyTo: task.replyTo,
                                                          stage: name, latencyMs: elapsedMs(since: start), trace: trace,
                                                          apiVersion: task.apiVersion))
        }
        task.timings["router_ms"] = elapsedMs(since: start)
        task.timings["router_queue_ms"] = queuedMs(record)
        let topic = Self.nextTopic(for: task, topics: topics)
        log(task, outcome: "routed", detail: task.route.map { "\($0.tier) \($0.reason)" } ?? "unrouted", start: start)
        // The gateway's headers (id, reply-to, deadline, trace) travel on unchanged.
        let headers = record.headers.filter { $0.name.lowercased() != CEHeader.authorization }
        return StageResult(outputs: [KafkaOutgoingRecord(topic: topic, key: record.key ?? Array(task.requestID.utf8),
                                                         value: EventCoding.encode(task), headers: headers)])
    }

    private func log(_ task: CompletionTask, outcome: String, detail: String, start: ContinuousClock.Instant) {
        logger.debug("route", metadata: [
            "request_id": "\(task.requestID)", "tenant": "\(task.principal.tenant)", "stage": "router",
            "outcome": "\(outcome)", "detail": "\(detail)", "latency_ms": "\(elapsedMs(since: start))",
        ])
    }
}

extension RouterStage {
    /// Where a routed task goes: the retriever when it asks for retrieval, else the completer.
    static func nextTopic(for task: CompletionTask, topics: TopicNames) -> String {
        task.request.retrieval == nil ? topics.complete : topics.retrieve
    }
}

extension PromptRouter {
    /// Decides the route of `task` and records it on the task and in the router metrics;
    /// returns the error to answer with when the request cannot be routed. Shared by the router
    /// stage and the gateway when it routes in its own process.
    func route(_ task: inout CompletionTask) async -> ReplyError? {
        let start = ContinuousClock.now
        let outcome = await decide(task.request, tenant: task.principal.tenant, allowedModels: task.allowedModels.map(Set.init))
        RouterMetrics.latency(seconds: elapsedMs(since: start) / 1000)
        switch outcome {
        case .success(let decision):
            task.route = decision
            RouterMetrics.decision(tier: decision.tier, reason: decision.reason)
            return nil
        case .failure(let error):
            RouterMetrics.decision(tier: "none", reason: error.code.rawValue)
            return error
        }
    }
}
