import Foundation
import Hummingbird
import Kafka
import Logging
import NIOCore

/// The HTTP ingress: OpenAI-compatible `POST /v1/chat/completions`, `POST /v1/embeddings`
/// and `GET /v1/models`.
/// It authenticates the bearer key, turns each call into a request event, and waits for the
/// reply on its own reply topic (one per ingress process, so several run side by side without
/// taking each other's replies). With `gateway` set it runs the gateway stage on the event in
/// this process (validation, scope, limits and budgets, routing, the credential stripped) and
/// produces what it admits to the next stage, answering a rejection or an exact cache hit at
/// once; without it the event goes to the requests topic for the gateway stage. Either way it
/// refuses what it can see at the door (no or unknown key, an oversized body) and maps the
/// reply's error code to an HTTP status.
public struct HTTPIngress: Sendable {
    /// This process's own reply topic.
    public let replyTopic: String
    let keys: KeyDirectory
    let producer: KafkaProducer
    let replies: ReplyReader
    let models: [ModelConfig]
    let requestsTopic: String
    /// The gateway stage run on each call here; nil: calls go to `requestsTopic`.
    let gateway: GatewayStage?
    let maxBodyBytes: Int
    let timeout: Duration
    let logger: Logger
    /// Limits and budgets for the calls admitted here (embeddings; chat too with `gateway`).
    let admission: AdmissionControl?
    let gatewaySettings: GatewaySettings
    let emitter: ReplyEmitter
    /// Embedding calls go here, for the embedding service.
    let embedTopic: String
    /// The embedding service's model, as calls name it (`embeddings.model`).
    let embeddingModel: String

    /// - Parameter admission: limits for embedding calls (the gateway's own when it runs here).
    public init(config: SwitchboardConfig, keys: KeyDirectory, gateway: GatewayStage? = nil, admission: AdmissionControl? = nil,
                producer: KafkaProducer, replies: ReplyReader, timeout: Duration, logger: Logger) {
        self.keys = keys
        self.gateway = gateway
        self.admission = admission
        self.gatewaySettings = config.gateway
        self.emitter = ReplyEmitter(topics: config.topics)
        self.embedTopic = config.topics.embed
        self.embeddingModel = config.embeddings.model
        self.producer = producer
        self.replies = replies
        self.replyTopic = replies.topic
        self.models = config.models
        self.requestsTopic = config.topics.requests
        self.maxBodyBytes = config.gateway.maxRequestBytes
        self.timeout = timeout
        self.logger = logger
    }

    /// The reply topic of ingress `instance` under the gateway's configured prefix.
    public static func replyTopic(config: SwitchboardConfig, instance: String) -> String {
        config.gateway.ingressReplyPrefix + instance
    }

    /// Adds the API routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/v1/chat/completions") { request, _ in await chatCompletion(request) }
        router.post("/v1/embeddings") { request, _ in await embeddings(request) }
        router.get("/v1/models") { request, _ in await listModels(request) }
    }

    /// What the door decided about a call with a body.
    enum Door {
        /// A known key, its `Authorization` value, and the body, read whole within the limit.
        case pass(KeyGrant, authorization: String?, body: [UInt8])
        case refused(Response)
    }

    /// The checks every call with a body passes first: the body's size, refused before it is
    /// read whole (by its declared length, then while reading), and the bearer key.
    func door(_ request: Request, route: String) async -> Door {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
            return .refused(Self.error("payload_too_large", "the body is \(length) bytes; the limit is \(maxBodyBytes)", route: route))
        }
        let authorization = request.headers[.authorization]
        guard let grant = await keys.authenticate(authorization: authorization) else {
            let message = authorization == nil ? "missing Authorization header (expected 'Bearer <API key>')" : "unknown or revoked API key"
            return .refused(Self.error("unauthorized", message, route: route))
        }
        do {
            let body = try await request.body.collect(upTo: maxBodyBytes)
            return .pass(grant, authorization: authorization, body: Array(body.readableBytesView))
        } catch {
            return .refused(Self.error("payload_too_large", "the body is larger than \(maxBodyBytes) bytes", route: route))
        }
    }

    func chatCompletion(_ request: Request) async -> Response {
        let start = ContinuousClock.now
        let (grant, authorization, bytes): (KeyGrant, String?, [UInt8])
        switch await door(request, route: "chat") {
        case .refused(let response): return response
        case .pass(let g, let a, let b): (grant, authorization, bytes) = (g, a, b)
        }
        // `stream: true` is answered as server-sent events from the completer's delta events.
        var streamed = false
        var includeUsage = false
        if Self.mentionsStream(bytes), let json = try? JSONValue.parse(bytes), json["stream"]?.boolValue == true {
            streamed = true
            includeUsage = json["stream_options"]?["include_usage"]?.boolValue ?? false
        }
        let requestID = "http-" + EventID.random()
        let headers = callHeaders(type: RequestVersion.v1.eventType, requestID: requestID, deadline: callDeadline(), request: request,
                                  extra: [KafkaHeader(CEHeader.authorization, authorization ?? "")])
        var records = [KafkaOutgoingRecord(topic: requestsTopic, key: Array(requestID.utf8), value: bytes, headers: headers)]
        if let gateway {
            switch await admit(records[0], grant: grant, gateway: gateway) {
            case .forward(let admitted):
                records = admitted
            case .answer(let answer):
                return respond(answer, requestID: requestID, start: start)
            }
        }
        if streamed {
            return await streamedCompletion(requestID: requestID, records: records, includeUsage: includeUsage)
        }
        switch await exchange(records, requestID: requestID, route: "chat") {
        case .reply(let arrival): return respond(arrival.record.value, requestID: requestID, start: start)
        case .failed(let response): return response
        }
    }

    /// How waiting for a call's reply ended.
    enum Exchange {
        case reply(ReplyReader.Arrival)
        /// The pipeline could not be reached (503) or did not answer in time (504).
        case failed(Response)
    }

    /// Produces `records` (the call's event, and what goes with it) without waiting for their
    /// delivery reports, and waits for the reply to `requestID` on this ingress's topic.
    func exchange(_ records: [KafkaOutgoingRecord], requestID: String, route: String) async -> Exchange {
        do {
            return .reply(try await replies.wait(for: requestID, timeout: timeout) { [producer] failed in
                for record in records {
                    producer.produce(record) { report in
                        if case .failure(let error) = report { failed(error) }
                    }
                }
            })
        } catch let error as KafkaError {
            logger.error("ingress could not produce the call", metadata: ["request_id": "\(requestID)", "route": "\(route)", "error": "\(error)"])
            return .failed(Self.error("provider_unavailable", "the pipeline is not reachable; retry shortly", route: route, status: 503))
        } catch {
            return .failed(Self.error("deadline_exceeded", "no answer within \(timeout); request \(requestID)", route: route))
        }
    }

    /// The HTTP response for a reply event's value, the call's duration recorded.
    func respond(_ value: [UInt8]?, requestID: String, start: ContinuousClock.Instant) -> Response {
        IngressMetrics.duration(since: start)
        switch Self.answer(value, route: "chat") {
        case .failed(let response): return response
        case .ok(let reply):
            return Self.json(IngressWire.completion(reply), status: 200, route: "chat", extra: [IngressHeader.requestID: requestID])
        }
    }

    /// What a reply event's value says.
    enum Answer {
        case ok(Reply)
        /// An error reply, or one that cannot be read, as the response for the caller.
        case failed(Response)
    }

    static func answer(_ value: [UInt8]?, route: String) -> Answer {
        guard let value, let reply = try? EventCoding.decode(Reply.self, from: value) else {
            return .failed(error("internal_error", "the reply could not be read", route: route))
        }
        guard reply.status == .ok else {
            let failure = reply.error ?? ReplyError(.internalError, "the request failed")
            return .failed(error(failure.code.rawValue, failure.message, route: route, retryAfterMs: failure.retryAfterMs))
        }
        return .ok(reply)
    }

    /// Epoch milliseconds by which a call received now must be answered.
    func callDeadline() -> Int64 {
        Timestamp.nowMs() + Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The CloudEvents headers of a call's event: its id, this ingress's reply topic, the
    /// deadline, the caller's trace context if any, and `extra`.
    func callHeaders(type: String, requestID: String, deadline: Int64, request: Request, extra: [KafkaHeader] = []) -> [KafkaHeader] {
        var headers = EventHeaders.make(type: type, id: requestID, source: "switchboard-ingress", extra: extra + [
            KafkaHeader(CEHeader.replyTo, replyTopic),
            KafkaHeader(CEHeader.deadline, String(deadline)),
        ])
        if let traceParent = request.headers[IngressHeader.traceParent] {
            headers.append(KafkaHeader(CEHeader.traceParent, traceParent))
        }
        return headers
    }

    /// Whether the body contains `"stream"` at all: most calls do not, and then the body is
    /// left to the gateway to parse, once.
    static func mentionsStream(_ bytes: [UInt8]) -> Bool {
        let needle = Array(#""stream""#.utf8)
        guard bytes.count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            (0...(buffer.count - needle.count)).contains { start in
                buffer[start] == needle[0] && (1..<needle.count).allSatisfy { buffer[start + $0] == needle[$0] }
            }
        }
    }

    func listModels(_ request: Request) async -> Response {
        guard let grant = await keys.authenticate(authorization: request.headers[.authorization]) else {
            return Self.error("unauthorized", "missing or unknown API key (expected 'Authorization: Bearer <API key>')", route: "models")
        }
        var data: [IngressWire.ModelList.Model] = []
        for model in models {
            for name in [model.name] + model.aliases where grant.allows(model: name, resolved: model) {
                data.append(.init(id: name, ownedBy: model.provider))
            }
        }
        // The embedding service's model, for `POST /v1/embeddings`.
        if grant.allows(model: embeddingModel, resolved: nil) {
            data.append(.init(id: embeddingModel, ownedBy: "switchboard"))
        }
        return Self.json(IngressWire.ModelList(data: data), status: 200, route: "models")
    }

    static func error(_ code: String, _ message: String, route: String, status: Int? = nil, retryAfterMs: Int? = nil) -> Response {
        let mapped = IngressWire.status(for: code)
        var extra: [IngressHeader.Name: String] = [:]
        if let retryAfterMs, mapped.status == 429 {
            extra[IngressHeader.retryAfter] = String(max(1, (retryAfterMs + 999) / 1000))
            extra[IngressHeader.retryAfterMs] = String(retryAfterMs)
        }
        let body = IngressWire.ErrorBody(error: .init(message: message, type: mapped.type, code: code))
        return json(body, status: status ?? mapped.status, route: route, extra: extra)
    }

    static func json<T: Encodable>(_ value: T, status: Int, route: String, extra: [IngressHeader.Name: String] = [:]) -> Response {
        IngressMetrics.response(route: route, status: status)
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, text) in extra { headers[name] = text }
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: EventCoding.encode(value))))
    }
}

/// Header names the ingress reads or writes beyond the standard ones (constant, valid names).
enum IngressHeader {
    typealias Name = HTTPFields.Element.Name
    static let traceParent = Name("traceparent")!
    static let requestID = Name("x-request-id")!
    static let retryAfter = Name("retry-after")!
    static let retryAfterMs = Name("retry-after-ms")!
}
