import Foundation
import HTTPClient
import ProviderSimulator
import Testing

@Suite("HTTPClient against the provider simulator")
struct HTTPClientTests {
    @Test("a chat completion round trip returns the answer and its usage")
    func chatRoundTrip() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.execute(
                try jsonRequest("\(baseURL)/v1/chat/completions", chatBody("Hello there, simulator")))
            #expect(response.status == 200)
            #expect(response.headers.first("content-type") == "application/json")
            #expect(response.headers.first("CONTENT-TYPE") == "application/json")
            let body = try jsonObject(response.body)
            let choices = try #require(body["choices"] as? [[String: Any]])
            let message = try #require(choices.first?["message"] as? [String: Any])
            let content = try #require(message["content"] as? String)
            #expect(content.hasPrefix("Simulated answer to: Hello there, simulator"))
            let usage = try #require(body["usage"] as? [String: Any])
            let prompt = try #require(usage["prompt_tokens"] as? Int)
            let completion = try #require(usage["completion_tokens"] as? Int)
            #expect(prompt > 0 && completion > 0)
            #expect(usage["total_tokens"] as? Int == prompt + completion)
        }
    }

    @Test("200 concurrent requests are all answered, each seen once")
    func concurrentRequests() async throws {
        try await withSimulator { simulator, client, baseURL in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    let request = try jsonRequest(
                        "\(baseURL)/v1/chat/completions", chatBody("question \(index)"),
                        headers: ["x-request-id": "req-\(index)", "x-sim-latency-ms": "50"])
                    group.addTask { try await client.execute(request).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            let stats = simulator.stats()
            #expect(stats.requestsByRoute["chat.completions"] == 200)
            #expect(stats.requestsByRequestId.count == 200)
            #expect(stats.requestsByRequestId.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a 429 is a response whose headers carry Retry-After")
    func rateLimited() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.execute(try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "429:7"]))
            #expect(response.status == 429)
            #expect(response.headers.first("Retry-After") == "7")
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["code"] as? String == "rate_limit_exceeded")
        }
    }

    @Test("a 500 is returned as a response in OpenAI's error shape")
    func serverError() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.execute(try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "500"]))
            #expect(response.status == 500)
            let error = try #require(try jsonObject(response.body)["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error")
            #expect(error["message"] is String)
        }
    }

    @Test("a closed port fails with a retriable connect error naming the host")
    func connectError() async throws {
        let client = HTTPClient(logger: .init(label: "test"))
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/v1/models", headers: ["Authorization": "Bearer sk-secret"]))
        }
        #expect(error?.code == .connect)
        #expect(error?.isRetriable == true)
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(error?.message.contains("sk-secret") == false)
    }

    @Test("a stalled provider hits the request timeout")
    func requestTimeout() async throws {
        try await withSimulator { _, client, baseURL in
            var request = try jsonRequest("\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "stall:3"])
            request.timeout = .milliseconds(300)
            let error = await #expect(throws: HTTPClientError.self) { _ = try await client.execute(request) }
            #expect(error?.code == .timeout)
            #expect(error?.isRetriable == true)
        }
    }

    @Test("a header value with a line break is refused before sending")
    func headerInjection() async throws {
        let client = HTTPClient(logger: .init(label: "test"))
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: ["x-a": "1\r\nx-b: 2"]))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a body over the configured limit fails with responseTooLarge")
    func bodyLimit() async throws {
        try await withSimulator(clientConfiguration: .init(maxResponseBodySize: 100)) { _, client, baseURL in
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await client.execute(try jsonRequest("\(baseURL)/v1/embeddings", ["model": "m", "input": "x"]))
            }
            #expect(error?.code == .responseTooLarge)
        }
    }

    @Test("after shutdown, requests fail with shutdown")
    func shutdown() async throws {
        try await withSimulator { _, client, baseURL in
            client.shutdown()
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await client.execute(HTTPRequest(url: "\(baseURL)/v1/models"))
            }
            #expect(error?.code == .shutdown)
        }
    }

    @Test("sequential requests and other methods are answered")
    func methodsAndReuse() async throws {
        try await withSimulator { simulator, client, baseURL in
            for _ in 0..<20 {
                let response = try await client.execute(HTTPRequest(url: "\(baseURL)/v1/models"))
                #expect(response.status == 200)
            }
            let deleted = try await client.execute(HTTPRequest(method: "DELETE", url: "\(baseURL)/v1/models"))
            #expect(deleted.status == 404 || deleted.status == 405)
            #expect(simulator.stats().requestsByRoute["models"] == 20)
        }
    }
}
