import Foundation
import HTTPClient
import Logging
import ProviderSimulator
import Synchronization
import Testing
@testable import Switchboard

/// Each adapter against the simulator's copy of its provider's API: request mapping, usage,
/// errors and streaming.
@Suite("provider adapters against the simulator", .serialized)
struct ProviderAdapterTests {
    static let key = "sk-sim-secret-\(UUID().uuidString.prefix(6))"

    func withSimulator(_ body: (Int) async throws -> Void) async throws {
        var config = SimulatorConfiguration()
        config.apiKey = Self.key
        let (_, task, port) = try await PipelineHarness.startSimulator(config)
        defer { task.cancel() }
        try await body(port)
    }

    func provider(_ kind: String, port: Int, keyEnv: String? = "SIM_KEY") throws -> ProviderConfig {
        let config = try SwitchboardConfig.parse("""
        providers:
          - {name: p, kind: \(kind), base_url: "http://127.0.0.1:\(port)", \(keyEnv.map { "api_key_env: \($0)," } ?? "") timeout_ms: 2000}
        """)
        return config.providers[0]
    }

    func request(_ text: String, system: Bool = false) -> ProviderRequest {
        var messages = [ChatMessage(role: "user", content: text)]
        if system { messages.insert(ChatMessage(role: "system", content: "Be brief."), at: 0) }
        return ProviderRequest(model: "gpt-4o-mini", messages: messages, maxTokens: 16, temperature: 0.2,
                               requestID: "adapter-\(UUID())", timeout: .seconds(2))
    }

    func adapters(port: Int) throws -> [(String, any ChatProvider)] {
        let env = ["SIM_KEY": Self.key]
        let http = HTTPClientBox.shared
        return [
            ("openai", OpenAICompatibleProvider(config: try provider("openai", port: port), client: http, environment: env)),
            ("azure", OpenAICompatibleProvider(config: try provider("azure", port: port), client: http, environment: env)),
            ("anthropic", AnthropicProvider(config: try provider("anthropic", port: port), client: http, environment: env)),
        ]
    }

    @Test("each adapter maps a request and its reply with usage, whole and streamed; streamed usage is never zero")
    func completeAndStream() async throws {
        try await withSimulator { port in
            for (kind, adapter) in try adapters(port: port) {
                let whole = try await adapter.complete(request("Hello \(kind)", system: true))
                #expect(whole.content.contains("Hello \(kind)"), "\(kind): \(whole.content)")
                #expect(whole.inputTokens > 0 && whole.outputTokens > 0, "\(kind)")
                #expect(whole.finishReason == "stop" || whole.finishReason == "length", "\(kind)")
                let chunks = Mutex<[String]>([])
                let streamed = try await adapter.stream(request("Stream \(kind)")) { text in chunks.withLock { $0.append(text) } }
                #expect(chunks.withLock { $0.count } > 1, "\(kind)")
                #expect(chunks.withLock { $0.joined() } == streamed.content, "\(kind)")
                #expect(streamed.inputTokens > 0 && streamed.outputTokens > 0, "\(kind): a stream reports usage")
            }
        }
    }

    @Test("a repeated prompt reports cached input tokens in the internal form")
    func cachedTokens() async throws {
        try await withSimulator { port in
            for (kind, adapter) in try adapters(port: port) {
                let long = String(repeating: "A long shared system prompt for caching. ", count: 400)
                var call = request("q")
                call.messages = [ChatMessage(role: "system", content: long), ChatMessage(role: "user", content: "\(kind) one")]
                _ = try await adapter.complete(call)
                call.messages[1].content = "\(kind) two"
                let second = try await adapter.complete(call)
                #expect(second.cachedInputTokens > 0 && second.cachedInputTokens <= second.inputTokens, "\(kind): \(second)")
            }
        }
    }

    @Test("errors map to the internal classes, and the key never appears in them")
    func errors() async throws {
        try await withSimulator { port in
            let http = HTTPClientBox.shared
            let cases: [(String, ProviderError.Kind, Bool)] = [
                ("429:3", .rateLimited, true), ("500", .serverError, true), ("401", .authentication, false),
                ("400", .badRequest, false), ("drop", .unavailable, true), ("malformed", .malformedResponse, true),
            ]
            for (kind, adapter) in try adapters(port: port) {
                for (fault, expected, retriable) in cases {
                    var call = request("x")
                    call.extraHeaders = ["x-sim-fault": fault]
                    do {
                        _ = try await adapter.complete(call)
                        Issue.record("\(kind) \(fault): expected an error")
                    } catch {
                        let error = try #require(error as? ProviderError)
                        #expect(error.kind == expected || (kind == "anthropic" && fault == "malformed"), "\(kind) \(fault): \(error)")
                        #expect(error.isRetriable == retriable || (kind == "anthropic" && fault == "malformed"), "\(kind) \(fault)")
                        #expect(!error.message.contains(Self.key), "\(kind) \(fault): the key leaked")
                        if fault == "429:3" { #expect(error.retryAfterMs == 3000, "\(kind)") }
                    }
                }
                var call = request("slow")
                call.timeout = .milliseconds(200)
                call.extraHeaders = ["x-sim-fault": "stall:5"]
                do {
                    _ = try await adapter.complete(call)
                    Issue.record("\(kind): expected a timeout")
                } catch {
                    let error = try #require(error as? ProviderError)
                    #expect(error.kind == .timeout, "\(kind): \(error)")
                }
            }
            // A wrong key is an authentication error, and its text is not echoed.
            let wrong = OpenAICompatibleProvider(config: try provider("azure", port: port), client: http, environment: ["SIM_KEY": "sk-wrong-key"])
            do {
                _ = try await wrong.complete(request("x"))
                Issue.record("expected an authentication error")
            } catch {
                let error = try #require(error as? ProviderError)
                #expect(error.kind == .authentication)
                #expect(!error.message.contains("sk-wrong-key"))
            }
        }
    }

    @Test("OpenAI embeddings map vectors in input order and usage")
    func embeddings() async throws {
        try await withSimulator { port in
            let adapter = OpenAICompatibleProvider(config: try provider("openai", port: port), client: HTTPClientBox.shared, environment: ["SIM_KEY": Self.key])
            let result = try await adapter.embed(["one", "two", "three"], model: "text-embedding-3-small", requestID: "e1", timeout: .seconds(2))
            #expect(result.vectors.count == 3)
            #expect(result.vectors.allSatisfy { $0.count == 1536 })
            #expect(result.inputTokens > 0)
        }
    }
}

