import Foundation
import Testing
@testable import Switchboard

/// What the adapters put on the wire for the caller's sampling parameters.
@Suite("provider wire requests")
struct ProviderWireTests {
    func body(_ value: some Encodable) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        return try #require(object as? [String: Any])
    }

    func request(topP: Double?, stop: [String]?) -> ProviderRequest {
        var request = ProviderRequest(model: "m", messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "hi")],
                                      maxTokens: 8, temperature: 0, requestID: "r", timeout: .seconds(1))
        (request.topP, request.stop) = (topP, stop)
        return request
    }

    @Test("top_p and stop reach OpenAI-style and Anthropic requests; absent ones are left out")
    func samplingParameters() throws {
        let openAI = try body(OpenAIWire.Request(request(topP: 0.5, stop: ["\n\n", "END"]), stream: false))
        #expect(openAI["top_p"] as? Double == 0.5)
        #expect(openAI["stop"] as? [String] == ["\n\n", "END"])
        let anthropic = try body(AnthropicWire.Request(request(topP: 0.25, stop: ["END"]), stream: true))
        #expect(anthropic["top_p"] as? Double == 0.25)
        #expect(anthropic["stop_sequences"] as? [String] == ["END"])
        #expect(anthropic["system"] as? String == "Be brief.")
        let plain = try body(OpenAIWire.Request(request(topP: nil, stop: nil), stream: false))
        #expect(plain["top_p"] == nil && plain["stop"] == nil && plain["temperature"] as? Double == 0)
    }
}
