import Embeddings
import Foundation
import Hummingbird
import Kafka

/// `POST /v1/embeddings`: OpenAI's embeddings call, answered by the embedding service.
///
/// The ingress does the gateway's part itself: the key at the door, the body against the
/// call's rules, the key's model scope, and admission against the tenant's and key's limits
/// (requests, tokens estimated from the text and settled to the model's own count, in-flight
/// calls; the local model costs nothing against budgets). It then produces an `llm.embed.v1`
/// event without the credential and waits for the service's reply on its own reply topic.
extension HTTPIngress {
    /// The most inputs one call may carry. OpenAI takes 2,048; here the vectors come back in one
    /// Kafka record (about 2 KB each for 384 float32 values in base64), and 256 of them keep it
    /// well under a broker's default limit of 1 MB per record.
    static let maxEmbeddingInputs = 256

    /// The names a call may give the embedding model: the configured one and the model's own.
    var embeddingModelNames: [String] { [embeddingModel, MiniLMEmbedder.identifier] }

    func embeddings(_ request: Request) async -> Response {
        let start = ContinuousClock.now
        let (grant, bytes): (KeyGrant, [UInt8])
        switch await door(request, route: "embeddings") {
        case .refused(let response): return response
        case .pass(let g, _, let b): (grant, bytes) = (g, b)
        }
        let requestID = "http-" + EventID.random()
        func reject(_ error: ReplyError) -> Response {
            // Every call that passed the door leaves one usage event, as the gateway's do.
            for record in emitter.rejection(error, requestID: requestID, principal: grant.principal, replyTo: nil, stage: "gateway",
                                            latencyMs: elapsedMs(since: start)) {
                producer.produce(record) { _ in }
            }
            logEmbeddings(requestID: requestID, grant: grant, outcome: "rejected", code: error.code.rawValue, start: start)
            IngressMetrics.duration(since: start)
            return Self.error(error.code.rawValue, error.message, route: "embeddings", retryAfterMs: error.retryAfterMs)
        }
        let call: EmbeddingCall
        switch EmbeddingCall.parse(bytes, models: embeddingModelNames) {
        case .failure(let error): return reject(error)
        case .success(let parsed): call = parsed
        }
        guard grant.allows(model: call.model, resolved: nil) || grant.allows(model: embeddingModel, resolved: nil) else {
            return reject(ReplyError(.forbidden, "model '\(call.model)' is not allowed for this key"))
        }
        let deadline = callDeadline()
        if let admission {
            let demand = RateLimiter.Demand(requestID: requestID, grant: grant, tokens: TokenEstimate.texts(call.input), costPicoUSD: 0,
                                            inFlightTTLMs: gatewaySettings.inFlightTTLMs(deadline: deadline))
            if let limited = await admission.admit(demand) { return reject(limited) }
        }
        let task = EmbeddingTask(requestID: requestID, principal: grant.principal, model: call.model, input: call.input,
                                 replyTo: replyTopic, deadlineMs: deadline, receivedAtMs: Timestamp.nowMs())
        let headers = callHeaders(type: EmbeddingTask.eventType, requestID: requestID, deadline: deadline, request: request)
        let record = KafkaOutgoingRecord(topic: embedTopic, key: Array(requestID.utf8), value: EventCoding.encode(task), headers: headers)
        logEmbeddings(requestID: requestID, grant: grant, outcome: "forwarded", code: nil, start: start)
        let arrival: ReplyReader.Arrival
        switch await exchange([record], requestID: requestID, route: "embeddings") {
        case .reply(let reply): arrival = reply
        case .failed(let response): return response
        }
        IngressMetrics.duration(since: start)
        let reply: Reply
        switch Self.answer(arrival.record.value, route: "embeddings") {
        case .ok(let ok): reply = ok
        case .failed(let response): return response
        }
        let encoded = reply.embeddings ?? []
        var data: [IngressWire.Embedding] = []
        data.reserveCapacity(encoded.count)
        for (index, text) in encoded.enumerated() {
            if call.base64 {
                data.append(IngressWire.Embedding(index: index, vector: .base64(text)))
            } else if let vector = EmbeddingVector.decode(text) {
                data.append(IngressWire.Embedding(index: index, vector: .float(vector)))
            } else {
                return Self.error("internal_error", "the reply's vector \(index) could not be read", route: "embeddings")
            }
        }
        guard data.count == call.input.count else {
            return Self.error("internal_error", "the reply has \(data.count) vectors for \(call.input.count) inputs", route: "embeddings")
        }
        let tokens = reply.usage?.inputTokens ?? 0
        return Self.json(IngressWire.EmbeddingList(data: data, model: call.model, usage: .init(promptTokens: tokens, totalTokens: tokens)),
                         status: 200, route: "embeddings", extra: [IngressHeader.requestID: requestID])
    }

    private func logEmbeddings(requestID: String, grant: KeyGrant, outcome: String, code: String?, start: ContinuousClock.Instant) {
        logger.info("request", metadata: [
            "request_id": "\(requestID)", "tenant": "\(grant.principal.tenant)", "key_id": "\(grant.principal.keyID)",
            "stage": "gateway", "route": "embeddings", "outcome": "\(outcome)", "error_code": "\(code ?? "-")",
            "latency_ms": "\(String(format: "%.3f", elapsedMs(since: start)))",
        ])
    }
}

/// An embeddings call's body, checked: OpenAI's `model`, `input` (a string or an array of
/// strings), `encoding_format` (`float`, the default, or `base64`), `dimensions` (only the
/// model's own) and `user` (accepted, unused).
struct EmbeddingCall: Equatable {
    var model: String
    var input: [String]
    var base64: Bool

    static func parse(_ bytes: [UInt8], models: [String]) -> Result<EmbeddingCall, ReplyError> {
        func invalid(_ message: String) -> Result<EmbeddingCall, ReplyError> { .failure(ReplyError(.invalidRequest, message)) }
        guard let json = try? JSONValue.parse(bytes) else {
            return invalid("the body is not valid JSON (UTF-8)")
        }
        guard json.objectValue != nil else { return invalid("the body must be a JSON object, got \(json.typeName)") }
        guard let modelValue = json["model"] else { return invalid("model is required (\(models[0]))") }
        guard let model = modelValue.stringValue else { return invalid("model must be a string, got \(modelValue.typeName)") }
        guard models.contains(model) else {
            return .failure(ReplyError(.unknownModel, "model '\(model.prefix(100))' is not an embedding model here; use '\(models[0])'"))
        }
        let input: [String]
        switch json["input"] {
        case nil:
            return invalid("input is required: a string or an array of strings")
        case .string(let text)?:
            input = [text]
        case .array(let items)?:
            guard !items.isEmpty else { return invalid("input must not be an empty array") }
            guard items.count <= HTTPIngress.maxEmbeddingInputs else {
                return invalid("input has \(items.count) items; the most one call takes is \(HTTPIngress.maxEmbeddingInputs): split it into several calls")
            }
            var texts: [String] = []
            texts.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                switch item {
                case .string(let text): texts.append(text)
                case .number, .array: return invalid("input[\(index)] is token ids; this service embeds text: send strings")
                default: return invalid("input[\(index)] must be a string, got \(item.typeName)")
                }
            }
            input = texts
        case let other?:
            return invalid("input must be a string or an array of strings, got \(other.typeName)")
        }
        if let index = input.firstIndex(where: { $0.isEmpty }) {
            return invalid("input[\(index)] is empty")
        }
        var base64 = false
        switch json["encoding_format"] {
        case nil, .null?, .string("float")?: break
        case .string("base64")?: base64 = true
        case let other?: return invalid("encoding_format must be 'float' or 'base64', got \(other.stringValue.map { "'\($0.prefix(40))'" } ?? other.typeName)")
        }
        switch json["dimensions"] {
        case nil, .null?: break
        case let value? where value.intValue == MiniLMEmbedder.vectorDimension: break
        case let value?:
            return invalid("dimensions: \(model) produces \(MiniLMEmbedder.vectorDimension) values and cannot shorten them (got \(value.intValue.map(String.init) ?? value.typeName))")
        }
        switch json["user"] {
        case nil, .null?, .string?: break
        case let other?: return invalid("user must be a string, got \(other.typeName)")
        }
        return .success(EmbeddingCall(model: model, input: input, base64: base64))
    }
}
