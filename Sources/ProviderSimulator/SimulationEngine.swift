import Foundation
import Hummingbird
import JSONCoding

/// The part of every simulated route that is not the API itself: counting, authentication,
/// fault injection, latency, and writing the answer as JSON or as server-sent events.
struct SimulationEngine: Sendable {
    let configuration: SimulatorConfiguration
    let state: SimulatorState

    /// What a route computed for a request that passed every check.
    enum Answer {
        /// A JSON body, sent with status 200.
        case json(ByteBuffer)
        /// Server-sent events, already framed, sent one by one.
        case eventStream([ByteBuffer])
    }

    /// Runs one request through the simulation.
    /// - Parameters:
    ///   - authenticate: returns a status and message to refuse the request with, or nil.
    ///   - answer: parses the body and computes the answer; throws for a bad request.
    func handle(
        route: SimulatedRoute,
        dialect: ProviderDialect,
        request: Request,
        context: SimulatorContext,
        authenticate: (Request) -> SimulatorRequestError?,
        answer: @Sendable (ByteBuffer, UInt64) throws -> Answer
    ) async throws -> Response {
        var request = request
        let seed = state.admit(route: route, requestId: request.headers[SimulatorHeader.requestId])
        if let refusal = authenticate(request) {
            return try dialect.errorResponse(status: refusal.status, message: refusal.message)
        }
        var plan: RequestPlan
        let result: Answer
        do {
            plan = try RequestPlan(
                behaviour: configuration.behaviour(for: route),
                seed: seed,
                overrides: .init(
                    fault: request.headers[SimulatorHeader.fault],
                    latencyMilliseconds: request.headers[SimulatorHeader.latency],
                    eventDelayMilliseconds: request.headers[SimulatorHeader.eventDelay]))
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: configuration.maxRequestBodySize)
            } catch {
                throw SimulatorRequestError(status: 413, message: "request body exceeds \(configuration.maxRequestBodySize) bytes")
            }
            result = try answer(body, seed)
        } catch let error as SimulatorRequestError {
            return try dialect.errorResponse(status: error.status, message: error.message)
        } catch is DecodingError {
            return try dialect.errorResponse(status: 400, message: "the request body is not valid JSON for this endpoint")
        }

        state.recordFault(plan.fault)
        switch plan.fault {
        case .status(let status, let retryAfter):
            try await pause(plan.latency)
            return try dialect.errorResponse(
                status: status, message: "simulated \(status) error", retryAfterSeconds: status == 429 ? retryAfter : nil)
        case .stall(let hold):
            try await pause(hold)
        case .dropBeforeHead:
            try await pause(plan.latency)
            context.closeConnection()
            throw SimulatedDrop()
        case .malformed:
            try await pause(plan.latency)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"id\": \"simulated-malformed\", \"choices\": [{\"mess")))
        case .none, .dropAfter:
            break
        }

        switch result {
        case .json(let body):
            try await pause(plan.latency)
            return jsonResponse(body, dropping: plan.fault)
        case .eventStream(let events):
            return eventStreamResponse(events, plan: plan)
        }
    }

    private func jsonResponse(_ body: ByteBuffer, dropping fault: RequestPlan.Fault) -> Response {
        guard case .dropAfter = fault else {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
        }
        // Promise the whole body, send half, close: the client sees a truncated response.
        let half = body.getSlice(at: body.readerIndex, length: body.readableBytes / 2) ?? ByteBuffer()
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(contentLength: body.readableBytes) { writer in
                try await writer.write(half)
                throw SimulatedDrop()
            })
    }

    /// The head goes out at once; the plan's latency delays the first event (time to first
    /// token), its event delay the others.
    private func eventStreamResponse(_ events: [ByteBuffer], plan: RequestPlan) -> Response {
        var sent = events
        var drops = false
        if case .dropAfter(let count) = plan.fault, count < events.count {
            sent = Array(events.prefix(count))
            drops = true
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { [sent, drops] writer in
                var plan = plan
                try await pause(plan.latency)
                if plan.eventDelay.isZero {
                    // Without delays the events would leave together anyway; one write and
                    // one flush instead of one per event.
                    var all = ByteBuffer()
                    for event in sent { all.writeImmutableBuffer(event) }
                    if all.readableBytes > 0 { try await writer.write(all) }
                } else {
                    for (index, event) in sent.enumerated() {
                        if index > 0 { try await pause(plan.nextEventDelay()) }
                        try await writer.write(event)
                    }
                }
                if drops { throw SimulatedDrop() }
                try await writer.finish(nil)
            })
    }
}

/// Sleeps without holding a thread; zero returns at once.
func pause(_ duration: Duration) async throws {
    guard duration > .zero else { return }
    try await Task.sleep(for: duration)
}

/// Encodes an answer body. Encoding the simulator's own types cannot fail in practice; if it
/// did, the error would reach Hummingbird and become a 500.
func encodeJSON(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try StreamingJSONEncoder.encode(value))
}

/// Decodes a request body. The simulator answers thousands of calls a second in load tests
/// beside the code under test, so it uses the project's byte-level JSON coding rather than
/// Foundation's (about four times the CPU); a body that does not decode throws
/// `DecodingError`, which becomes a 400.
func decodeJSON<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
    let view = body.readableBytesView
    if let decoded = try view.withContiguousStorageIfAvailable({ try JSONBytesDecoder.decode(T.self, from: UnsafeRawBufferPointer($0)) }) {
        return decoded
    }
    return try JSONBytesDecoder.decode(T.self, from: Array(view))
}

/// Frames one server-sent event: an optional `event:` line, a `data:` line, a blank line.
func serverSentEvent(_ value: some Encodable, event: String? = nil) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    if let event { buffer.writeString("event: \(event)\n") }
    buffer.writeString("data: ")
    buffer.writeBytes(try StreamingJSONEncoder.encode(value))
    buffer.writeString("\n\n")
    return buffer
}

/// How one provider's API shapes its errors.
struct ProviderDialect: Sendable {
    let makeErrorBody: @Sendable (Int, String) throws -> ByteBuffer

    static let openAI = ProviderDialect { try encodeJSON(OpenAIWire.ErrorBody(status: $0, message: $1)) }
    static let anthropic = ProviderDialect { try encodeJSON(AnthropicWire.ErrorBody(status: $0, message: $1)) }

    func errorResponse(status: Int, message: String, retryAfterSeconds: Int? = nil) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfterSeconds { headers[SimulatorHeader.retryAfter] = String(retryAfterSeconds) }
        return Response(
            status: .init(code: status), headers: headers,
            body: ResponseBody(byteBuffer: try makeErrorBody(status, message)))
    }
}
