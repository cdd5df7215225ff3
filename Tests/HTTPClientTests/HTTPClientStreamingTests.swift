import Foundation
import HTTPClient
import ProviderSimulator
import Testing

@Suite("HTTPClient streaming and cancellation")
struct HTTPClientStreamingTests {
    @Test("an OpenAI stream arrives in several chunks, in order, ending with usage and [DONE]")
    func openAIStream() async throws {
        try await withSimulator { _, client, baseURL in
            let url = "\(baseURL)/v1/chat/completions"
            let buffered = try await client.execute(try jsonRequest(url, chatBody("Stream me a story")))
            let expected = try #require(
                ((try jsonObject(buffered.body)["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String)

            let response = try await client.stream(try jsonRequest(
                url, chatBody("Stream me a story", stream: true), headers: ["x-sim-event-delay-ms": "5"]))
            #expect(response.status == 200)
            #expect(response.headers.first("content-type") == "text/event-stream")
            var chunks: [[UInt8]] = []
            for try await chunk in response.body { chunks.append(chunk) }
            #expect(chunks.count > 1)

            let events = parseEvents(chunks.flatMap { $0 })
            #expect(events.last?.data == "[DONE]")
            let payloads = try events.dropLast().map { try jsonObject(Array($0.data.utf8)) }
            let usageChunk = try #require(payloads.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(usageChunk["usage"] as? [String: Any])
            let text = payloads.dropLast().compactMap {
                (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
            }.joined()
            #expect(text == expected)
            let contentEvents = payloads.filter {
                ((($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String)?.isEmpty == false
            }
            #expect(usage["completion_tokens"] as? Int == contentEvents.count)
        }
    }

    @Test("a connection dropped mid-stream ends the body with an error, not a silent end")
    func dropMidStream() async throws {
        try await withSimulator { _, client, baseURL in
            let response = try await client.stream(try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("drop me", stream: true), headers: ["x-sim-fault": "drop-after:3"]))
            #expect(response.status == 200)
            var received: [UInt8] = []
            let error = await #expect(throws: HTTPClientError.self) {
                for try await chunk in response.body { received.append(contentsOf: chunk) }
            }
            #expect(error?.code == .transport)
            #expect(parseEvents(received).count == 3)
        }
    }

    @Test("a drop before the head and a truncated body fail execute with a transport error")
    func dropBuffered() async throws {
        try await withSimulator { _, client, baseURL in
            for fault in ["drop", "drop-after:0"] {
                let error = await #expect(throws: HTTPClientError.self) {
                    _ = try await client.execute(try jsonRequest(
                        "\(baseURL)/v1/chat/completions", chatBody("hi"), headers: ["x-sim-fault": "\(fault)"]))
                }
                #expect(error?.code == .transport, "fault \(fault)")
            }
        }
    }

    @Test("cancelling the task removes the transfer")
    func cancelExecute() async throws {
        try await withSimulator { simulator, client, baseURL in
            let request = try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("slow"), headers: ["x-sim-latency-ms": "10000"])
            let task = Task { try await client.execute(request) }
            try await waitUntil { simulator.stats().totalRequests == 1 }
            #expect(client.activeTransferCount == 1)
            task.cancel()
            let result = await task.result
            #expect(throws: HTTPClientError.self) { try result.get() }
            #expect((result.error as? HTTPClientError)?.code == .cancelled)
            #expect(client.activeTransferCount == 0)
        }
    }

    @Test("cancelling the task reading a stream removes the transfer")
    func cancelStream() async throws {
        try await withSimulator { _, client, baseURL in
            let request = try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("slow stream", stream: true),
                headers: ["x-sim-event-delay-ms": "10000"])
            let response = try await client.stream(request)
            let reader = Task {
                var count = 0
                for try await _ in response.body { count += 1 }
                return count
            }
            try await waitUntil { client.activeTransferCount == 1 }
            reader.cancel()
            _ = await reader.result
            try await waitUntil { client.activeTransferCount == 0 }
        }
    }

    @Test("dropping a streamed response without reading it removes the transfer")
    func dropUnreadStream() async throws {
        try await withSimulator { _, client, baseURL in
            let request = try jsonRequest(
                "\(baseURL)/v1/chat/completions", chatBody("never read", stream: true),
                headers: ["x-sim-event-delay-ms": "10000"])
            var response: HTTPStreamingResponse? = try await client.stream(request)
            #expect(response?.status == 200)
            #expect(client.activeTransferCount == 1)
            response = nil
            try await waitUntil { client.activeTransferCount == 0 }
        }
    }
}

/// Polls a condition that another party makes true; fails after about five seconds.
func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met in time")
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
