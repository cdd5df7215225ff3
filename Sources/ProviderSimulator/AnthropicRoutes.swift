import Foundation
import Hummingbird

/// Anthropic's Messages endpoint.
struct AnthropicRoutes: Sendable {
    let engine: SimulationEngine

    func register(on router: Router<SimulatorContext>) {
        router.post("/v1/messages") { request, context in
            try await engine.handle(
                route: .messages, dialect: .anthropic, request: request, context: context,
                authenticate: authenticate, answer: message)
        }
    }

    /// Requires `x-api-key` (matching the configured key, if any) and `anthropic-version`,
    /// as the real API does.
    private func authenticate(_ request: Request) -> SimulatorRequestError? {
        guard let key = request.headers[SimulatorHeader.apiKey] else {
            return SimulatorRequestError(status: 401, message: "x-api-key header is required")
        }
        if let expected = engine.configuration.apiKey, key != expected {
            return SimulatorRequestError(status: 401, message: "invalid x-api-key")
        }
        guard request.headers[SimulatorHeader.anthropicVersion] != nil else {
            return SimulatorRequestError(status: 400, message: "anthropic-version: header is required")
        }
        return nil
    }

    private func message(_ body: ByteBuffer, seed: UInt64) throws -> SimulationEngine.Answer {
        let request = try decodeJSON(AnthropicWire.MessagesRequest.self, from: body)
        guard !request.messages.isEmpty else {
            throw SimulatorRequestError(status: 400, message: "messages: at least one message is required")
        }
        guard request.maxTokens >= 1 else {
            throw SimulatorRequestError(status: 400, message: "max_tokens: must be at least 1")
        }
        var prompt = request.messages.map { PromptMessage(role: $0.role, text: $0.content.text) }
        if let system = request.system {
            prompt.insert(PromptMessage(role: "system", text: system.text), at: 0)
        }
        let completion = SimulatedCompletion(
            model: request.model, messages: prompt, maxTokens: request.maxTokens,
            configuration: engine.configuration, state: engine.state)
        let id = "msg_sim\(String(seed, radix: 36))"
        let stopReason = completion.cutByLimit ? "max_tokens" : "end_turn"

        guard request.stream == true else {
            return .json(try encodeJSON(AnthropicWire.Message(
                id: id, model: request.model, content: [.init(text: completion.text)], stopReason: stopReason,
                usage: .init(completion, outputTokens: completion.completionTokens))))
        }
        let start = AnthropicWire.Message(
            id: id, model: request.model, content: [], stopReason: nil, usage: .init(completion, outputTokens: 1))
        var events = [
            try serverSentEvent(AnthropicWire.MessageStart(message: start), event: "message_start"),
            try serverSentEvent(AnthropicWire.ContentBlockStart(), event: "content_block_start"),
            try serverSentEvent(AnthropicWire.Ping(), event: "ping"),
        ]
        let deltaTemplate = try JSONStringTemplate(AnthropicWire.ContentBlockDelta(delta: .init(text: JSONStringTemplate.placeholder)))
        events += serverSentEvents(completion.pieces, template: deltaTemplate, event: "content_block_delta")
        events.append(try serverSentEvent(AnthropicWire.ContentBlockStop(), event: "content_block_stop"))
        events.append(try serverSentEvent(
            AnthropicWire.MessageDelta(delta: .init(stopReason: stopReason), usage: .init(outputTokens: completion.completionTokens)),
            event: "message_delta"))
        events.append(try serverSentEvent(AnthropicWire.MessageStop(), event: "message_stop"))
        return .eventStream(events)
    }
}
