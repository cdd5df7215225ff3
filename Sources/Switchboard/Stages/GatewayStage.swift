import Foundation
import Kafka
import Logging

/// The API gateway: authenticate the key, check the reply-to, validate the request against its
/// contract and the configured limits, strip the credential, and forward to the completer.
/// Every request leaves with exactly one outcome: forwarded, or an error reply (and a dead
/// letter when the record itself is malformed).
public struct GatewayStage: Stage {
    public let name = "gateway"
    public let inputTopics: [String]
    private let keys: KeyStore
    private let contract: TopicContract
    private let settings: GatewaySettings
    private let topics: TopicNames
    private let emitter: ReplyEmitter
    private let logger: Logger

    public init(config: SwitchboardConfig, catalog: TopicCatalog, logger: Logger) throws(ConfigError) {
        // The contract is the published v1 schema, whatever the topic is called in this deployment.
        guard let contract = catalog["llm.requests.v1"] else {
            throw ConfigError(key: "topics", message: "no contract for llm.requests.v1 in topics/")
        }
        self.contract = contract
        inputTopics = [config.topics.requests]
        keys = KeyStore(tenants: config.tenants, defaultReplyTopic: config.topics.results)
        settings = config.gateway
        topics = config.topics
        emitter = ReplyEmitter(topics: config.topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let requestID = record.header(CEHeader.id) ?? ""
        let requestedReplyTo = record.header(CEHeader.replyTo) ?? topics.results
        let trace = EventHeaders.trace(from: record)
        let principal = keys.authenticate(authorization: record.header(CEHeader.authorization))

        func reject(_ error: ReplyError, replyTo: String?, deadLetter: DeadLetterReason? = nil) -> StageResult {
            log(requestID: requestID, principal: principal, outcome: "rejected", code: error.code.rawValue, start: start)
            let records = emitter.rejection(error, requestID: requestID, principal: principal, replyTo: replyTo,
                                            stage: name, latencyMs: elapsedMs(since: start), trace: trace)
            return StageResult(outputs: records, deadLetter: deadLetter)
        }

        // The body is inspected before anything else so a malformed record is dead-lettered
        // whoever sent it; the caller's answer then depends on its key.
        var inspected = inspect(record.value)
        if requestID.isEmpty, case .success = inspected {
            // Without a request id nobody can match a reply: the record itself is malformed.
            inspected = .failure(Rejection(error: ReplyError(.invalidRequest, "missing header ce_id (the request id)"),
                                           deadLetter: DeadLetterReason(code: "missing_header", detail: "ce_id")))
        }
        // Without a valid key, only the default results topic gets an answer: an unknown
        // caller can never make the pipeline write into a topic of its choosing.
        guard let principal else {
            let replyTo = requestedReplyTo == topics.results ? topics.results : nil
            let missing = record.header(CEHeader.authorization) == nil
            let error = ReplyError(.unauthorized, missing ? "missing authorization header (expected 'Bearer <API key>')" : "unknown or revoked API key")
            if case .failure(let rejection) = inspected {
                return reject(error, replyTo: replyTo, deadLetter: rejection.deadLetter)
            }
            return reject(error, replyTo: replyTo)
        }
        guard keys.mayReply(tenant: principal.tenant, to: requestedReplyTo) else {
            let deadLetter: DeadLetterReason? = if case .failure(let r) = inspected { r.deadLetter } else { nil }
            return reject(ReplyError(.forbidden, "reply topic '\(requestedReplyTo)' is not allowed for this key"),
                          replyTo: topics.results, deadLetter: deadLetter)
        }
        let replyTo = requestedReplyTo
        let request: ChatRequest
        switch inspected {
        case .failure(let rejection):
            return reject(rejection.error, replyTo: replyTo, deadLetter: rejection.deadLetter)
        case .success(let parsed):
            request = parsed
        }
        if let problem = checkLimits(request) {
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

        let task = CompletionTask(requestID: requestID, principal: principal, apiVersion: "v1", replyTo: replyTo,
                                  deadlineMs: deadline, receivedAtMs: Timestamp.nowMs(), request: request,
                                  timings: ["gateway_ms": elapsedMs(since: start), "gateway_queue_ms": queuedMs(record)])
        var headers = EventHeaders.make(type: "llm.complete.v1", id: requestID, extra: [KafkaHeader(CEHeader.replyTo, replyTo)] + trace)
        if let deadline { headers.append(KafkaHeader(CEHeader.deadline, String(deadline))) }
        log(requestID: requestID, principal: principal, outcome: "forwarded", code: nil, start: start)
        return StageResult(outputs: [KafkaOutgoingRecord(topic: topics.complete, key: record.key ?? Array(requestID.utf8),
                                                         value: EventCoding.encode(task), headers: headers)])
    }

    struct Rejection: Error {
        var error: ReplyError
        var deadLetter: DeadLetterReason?
    }

    /// Size, JSON, contract schema: a malformed body is rejected with a dead-letter reason.
    private func inspect(_ value: [UInt8]?) -> Result<ChatRequest, Rejection> {
        guard let value, !value.isEmpty else {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request has no body"),
                                      deadLetter: DeadLetterReason(code: "empty", detail: "no value")))
        }
        guard value.count <= settings.maxRequestBytes else {
            return .failure(Rejection(error: ReplyError(.payloadTooLarge, "the request is \(value.count) bytes; the limit is \(settings.maxRequestBytes)"),
                                      deadLetter: DeadLetterReason(code: "payload_too_large", detail: "\(value.count) bytes")))
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(value)
        } catch {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request body is not valid JSON (UTF-8)"),
                                      deadLetter: DeadLetterReason(code: "not_json", detail: String("\(error)".prefix(300)))))
        }
        let violations = contract.schema.validate(json)
        guard violations.isEmpty else {
            let detail = violations.map(\.description).joined(separator: "; ")
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request does not match llm.requests.v1: \(detail)"),
                                      deadLetter: DeadLetterReason(code: "schema", detail: detail)))
        }
        do {
            return .success(try EventCoding.decode(ChatRequest.self, from: value))
        } catch {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request could not be read: \(error)"),
                                      deadLetter: DeadLetterReason(code: "schema", detail: "\(error)")))
        }
    }

    /// Limits from the config that the schema alone cannot express.
    private func checkLimits(_ request: ChatRequest) -> ReplyError? {
        if request.messages.count > settings.maxMessages {
            return ReplyError(.invalidRequest, "\(request.messages.count) messages; at most \(settings.maxMessages) are allowed")
        }
        if let maxTokens = request.maxTokens, maxTokens > settings.maxTokensLimit {
            return ReplyError(.invalidRequest, "max_tokens \(maxTokens) is above the limit of \(settings.maxTokensLimit)")
        }
        return nil
    }

    private func log(requestID: String, principal: Principal?, outcome: String, code: String?, start: ContinuousClock.Instant) {
        logger.info("request", metadata: [
            "request_id": "\(requestID)", "tenant": "\(principal?.tenant ?? "-")", "key_id": "\(principal?.keyID ?? "-")",
            "stage": "gateway", "outcome": "\(outcome)", "error_code": "\(code ?? "-")",
            "latency_ms": "\(String(format: "%.3f", elapsedMs(since: start)))",
        ])
    }
}
