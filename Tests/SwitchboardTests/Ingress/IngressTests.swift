import Foundation
import HTTPClient
import ProviderSimulator
import Switchboard
import Testing
import VectorStores

/// `switchboard serve` as HTTP clients see it.
@Suite("HTTP ingress", .serialized, .timeLimit(.minutes(5)))
struct IngressTests {
    static func json(_ response: HTTPResponse) -> JSONValue? { try? JSONValue.parse(response.body) }

    @Test("the official openai Python SDK gets a completion, a streamed one with usage, embeddings, a 401 with a bad key and a 429 over the limit")
    func openAISDK() async throws {
        let python = PipelineHarness.repositoryRoot() + "/.deps/venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("no \(python): run ops/setup (it installs the openai SDK into .deps/venv)")
            return
        }
        try await MinuteWindow.awayFromBoundary()
        let ingress = try await IngressHarness.start(tenantExtra: "limits: {requests_per_minute: 5}",
                                                     roles: [.gateway, .router, .completer, .embedder], vectorStore: ExactVectorStore())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PipelineHarness.repositoryRoot() + "/ops/checks/openai_sdk.py", ingress.baseURL, PipelineHarness.devKey]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let child = Unchecked(value: (process, output))
        let text = await offPool {
            let data = child.value.1.fileHandleForReading.readDataToEndOfFile()
            child.value.0.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        await ingress.stop()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("all ok"), "\(text)")
    }

    @Test("bad calls get their HTTP status and error code, never a provider call; health and metrics answer")
    func badCalls() async throws {
        let ingress = try await IngressHarness.start()
        let ok = Array(#"{"model":"small","messages":[{"role":"user","content":"hi"}]}"#.utf8)
        let cases: [(String, [UInt8], String?, Int, String)] = [
            ("no key", ok, nil, 401, "unauthorized"),
            ("wrong key", ok, "Bearer sk-sb-wrong", 401, "unauthorized"),
            ("not bearer", ok, "Basic abc", 401, "unauthorized"),
            ("malformed JSON", Array("{\"messages\": [".utf8), "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("wrong types", Array(#"{"messages":"hello"}"#.utf8), "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("unknown role", Array(#"{"messages":[{"role":"wizard","content":"x"}]}"#.utf8), "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("negative max_tokens", Array(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":-1}"#.utf8), "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("invalid UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D], "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("streamed, unknown role", Array(#"{"messages":[{"role":"wizard","content":"x"}],"stream":true}"#.utf8), "Bearer \(PipelineHarness.devKey)", 400, "invalid_request"),
            ("too large", Array(repeating: 0x20, count: 1_048_577), "Bearer \(PipelineHarness.devKey)", 413, "payload_too_large"),
            ("forbidden model", Array(#"{"model":"nope","messages":[{"role":"user","content":"x"}]}"#.utf8), "Bearer \(PipelineHarness.devKey)", 400, "unknown_model"),
        ]
        for (name, body, authorization, status, code) in cases {
            let response = try await ingress.post(body: body, authorization: authorization)
            #expect(response.status == status, "\(name): \(response.status) \(response.bodyText)")
            #expect(Self.json(response)?["error"]?["code"]?.stringValue == code, "\(name): \(response.bodyText)")
            #expect(Self.json(response)?["error"]?["message"]?.stringValue?.isEmpty == false, "\(name)")
        }
        let good = try await ingress.post(body: ok)
        #expect(good.status == 200, "\(good.bodyText)")
        #expect(Self.json(good)?["choices"]?.arrayValue?.count == 1)
        // A streamed call: chunks as server-sent events, then the end marker.
        let streamed = try await ingress.post(body: Array(#"{"model":"small","messages":[{"role":"user","content":"hi"}],"stream":true}"#.utf8))
        #expect(streamed.status == 200, "\(streamed.bodyText)")
        #expect(streamed.headers.first("content-type")?.hasPrefix("text/event-stream") == true)
        let events = streamed.bodyText.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        #expect(events.count >= 3, "\(streamed.bodyText)")
        #expect(events.dropLast().allSatisfy { $0.contains("chat.completion.chunk") })
        #expect(events.last == "data: [DONE]")
        #expect(try await ingress.get("/healthz").status == 200)
        #expect(try await ingress.get("/v1/models", authorization: nil).status == 401)
        let metrics = try await ingress.get("/metrics")
        #expect(metrics.bodyText.contains("switchboard_http_responses_total"))
        let providerCalls = ingress.pipeline.simulator.stats().totalRequests
        await ingress.stop()
        // unknown_model is answered by the completer without calling the provider, too.
        #expect(providerCalls == 2)
    }

    @Test("no reply within the call's deadline: 504 with deadline_exceeded; provider failures: 502")
    func deadlinesAndProviderFailures() async throws {
        var slow = SimulatorConfiguration()
        slow.defaultBehaviour.latency = LatencyDistribution(kind: .fixed, milliseconds: 3000)
        let ingress = try await IngressHarness.start(timeout: .seconds(1), simulator: slow)
        let response = try await ingress.post(body: Array(BadRequestGenerator.valid.utf8))
        await ingress.stop()
        #expect(response.status == 504, "\(response.bodyText)")
        #expect(Self.json(response)?["error"]?["code"]?.stringValue == "deadline_exceeded")

        var failing = SimulatorConfiguration()
        failing.defaultBehaviour.errorRates = [500: 1.0]
        let broken = try await IngressHarness.start(simulator: failing)
        let failed = try await broken.post(body: Array(BadRequestGenerator.valid.utf8))
        await broken.stop()
        #expect(failed.status == 502, "\(failed.bodyText)")
    }

    @Test("two ingress processes side by side each get their own replies")
    func twoIngresses() async throws {
        let a = try await IngressHarness.start()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var options = SwitchboardRuntime.ServeOptions()
        options.port = 0
        options.instance = "second-\(a.pipeline.id)"
        let runtime = a.pipeline.runtime
        let serveOptions = options
        let second = Task { defer { continuation.finish() }; try await runtime.serve(serveOptions) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let portB = try #require(await iterator.next())
        let results = try await withThrowingTaskGroup(of: (Bool, String).self) { group in
            for i in 0..<40 {
                group.addTask {
                    let text = "question \(i)"
                    let body = Array(#"{"messages":[{"role":"user","content":"\#(text)"}],"max_tokens":16}"#.utf8)
                    let url = (i % 2 == 0 ? a.baseURL : "http://127.0.0.1:\(portB)") + "/v1/chat/completions"
                    let response = try await HTTPClientBox.shared.execute(HTTPRequest(method: "POST", url: url,
                        headers: HTTPHeaders([("content-type", "application/json"), ("authorization", "Bearer \(PipelineHarness.devKey)")]), body: body))
                    let content = Self.json(response)?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue ?? ""
                    return (response.status == 200, content.contains(text) ? text : "mismatch: \(content)")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        second.cancel()
        _ = await second.result
        await a.stop()
        #expect(results.count == 40)
        #expect(results.allSatisfy { $0.0 && !$0.1.hasPrefix("mismatch") }, "\(results.filter { !$0.0 || $0.1.hasPrefix("mismatch") })")
    }
}
