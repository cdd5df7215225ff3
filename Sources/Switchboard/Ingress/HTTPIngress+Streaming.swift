import Foundation
import Hummingbird
import Kafka
import NIOCore

/// `stream: true`: the completer's delta events relayed as OpenAI server-sent events.
extension HTTPIngress {
    /// Produces `records` (the request event, or what the gateway admitted) and answers with
    /// an event stream. The response head waits for the
    /// first event, so a request refused before any text (limits, auth, a provider that never
    /// answered) still gets its HTTP status; once text flowed, a failure ends the stream with an
    /// error event rather than a silently short answer.
    func streamedCompletion(requestID: String, records: [KafkaOutgoingRecord], includeUsage: Bool) async -> Response {
        let events = replies.stream(for: requestID, timeout: timeout)
        do {
            for record in records { try await producer.send(record) }
        } catch {
            logger.error("ingress could not produce the request", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            return Self.error("provider_unavailable", "the pipeline is not reachable; retry shortly", route: "chat", status: 503)
        }
        var iterator = events.makeAsyncIterator()
        guard let first = await iterator.next() else {
            return Self.error("deadline_exceeded", "no answer within \(timeout); request \(requestID)", route: "chat")
        }
        if first.record.header(CEHeader.type) != ReplyReader.deltaType {
            if case .failed(let response) = Self.answer(first.record.value, route: "chat") { return response }
        }
        let chunks = StreamChunks(id: "chatcmpl-\(requestID)", created: Int(Date().timeIntervalSince1970), includeUsage: includeUsage)
        let timeout = self.timeout
        let rest = events
        IngressMetrics.response(route: "chat", status: 200)
        let body = ResponseBody { writer in
            var finished = false
            var source = rest.makeAsyncIterator()
            var next: ReplyReader.Arrival? = first
            while let arrival = next {
                let (lines, done) = chunks.lines(for: arrival)
                for line in lines { try await writer.write(ByteBuffer(bytes: line)) }
                if done {
                    finished = true
                    break
                }
                next = await source.next()
            }
            if !finished {
                try await writer.write(ByteBuffer(bytes: chunks.errorLine(code: "deadline_exceeded", message: "the answer did not complete within \(timeout)")))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", IngressHeader.requestID: requestID],
                        body: body)
    }
}

/// Turns delta and final events into OpenAI `chat.completion.chunk` lines.
struct StreamChunks: Sendable {
    let id: String
    let created: Int
    let includeUsage: Bool

    struct Chunk: Encodable {
        struct Delta: Encodable {
            var role: String?
            var content: String?
        }
        struct ChunkChoice: Encodable {
            var index = 0
            var delta: Delta
            var finishReason: String?
            enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(index, forKey: .index)
                try c.encode(delta, forKey: .delta)
                try c.encode(finishReason, forKey: .finishReason)  // null until the last chunk, as OpenAI sends it
            }
        }
        var id: String
        var object = "chat.completion.chunk"
        var created: Int
        var model: String
        var choices: [ChunkChoice]
        var usage: IngressWire.CompletionUsage?
    }

    func line<T: Encodable>(_ value: T) -> [UInt8] {
        Array("data: ".utf8) + EventCoding.encode(value) + Array("\n\n".utf8)
    }

    /// The SSE lines for one event, and whether it ended the stream.
    func lines(for arrival: ReplyReader.Arrival) -> (lines: [[UInt8]], done: Bool) {
        let value = arrival.record.value ?? []
        if arrival.record.header(CEHeader.type) == ReplyReader.deltaType {
            guard let delta = try? EventCoding.decode(ReplyDelta.self, from: value) else { return ([], false) }
            let role = delta.sequence == 0 ? "assistant" : nil
            return ([line(Chunk(id: id, created: created, model: delta.model ?? "",
                                choices: [.init(delta: .init(role: role, content: delta.content))]))], false)
        }
        guard let reply = try? EventCoding.decode(Reply.self, from: value) else {
            return ([errorLine(code: "internal_error", message: "the reply could not be read")], true)
        }
        guard reply.status == .ok else {
            let error = reply.error ?? ReplyError(.internalError, "the request failed")
            return ([errorLine(code: error.code.rawValue, message: error.message)], true)
        }
        let model = reply.model ?? ""
        var out: [[UInt8]] = []
        // A final reply that carries text no delta carried (an answer served whole) sends it here.
        let finish = reply.choices?.first?.finishReason ?? "stop"
        out.append(line(Chunk(id: id, created: created, model: model, choices: [.init(delta: .init(), finishReason: finish)])))
        if includeUsage, let usage = reply.usage {
            out.append(line(Chunk(id: id, created: created, model: model, choices: [],
                                  usage: .init(promptTokens: usage.inputTokens, completionTokens: usage.outputTokens,
                                               totalTokens: usage.inputTokens + usage.outputTokens))))
        }
        out.append(Array("data: [DONE]\n\n".utf8))
        return (out, true)
    }

    func errorLine(code: String, message: String) -> [UInt8] {
        line(IngressWire.ErrorBody(error: .init(message: message, type: IngressWire.status(for: code).type, code: code)))
    }
}
