import Foundation
import HTTPClient
import Logging
import ProviderSimulator

/// Runs a simulator on a free loopback port for the duration of `body`, with a fresh client.
func withSimulator<T>(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(),
    clientConfiguration: HTTPClient.Configuration = HTTPClient.Configuration(),
    _ body: (_ simulator: ProviderSimulator, _ client: HTTPClient, _ baseURL: String) async throws -> T
) async throws -> T {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let simulator = ProviderSimulator(configuration: configuration, logger: logger)
    let server = Task { try await simulator.run() }
    let client = HTTPClient(configuration: clientConfiguration, logger: logger)
    defer {
        client.shutdown()
        server.cancel()
    }
    let port = try await simulator.boundPort
    return try await body(simulator, client, "http://127.0.0.1:\(port)")
}

/// A POST with a JSON body built from a dictionary literal.
func jsonRequest(_ url: String, _ object: [String: Any], headers: HTTPHeaders = [:]) throws -> HTTPRequest {
    var headers = headers
    headers.add(name: "Content-Type", value: "application/json")
    let body = try JSONSerialization.data(withJSONObject: object)
    return HTTPRequest(method: "POST", url: url, headers: headers, body: Array(body))
}

/// A chat completion request body with one user message.
func chatBody(_ text: String, stream: Bool = false, maxTokens: Int? = nil) -> [String: Any] {
    var body: [String: Any] = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": text]]]
    if stream {
        body["stream"] = true
        body["stream_options"] = ["include_usage": true]
    }
    if let maxTokens { body["max_tokens"] = maxTokens }
    return body
}

/// Parses a JSON object body.
func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
        throw HarnessError.notAnObject
    }
    return object
}

enum HarnessError: Error { case notAnObject }

/// One server-sent event: its `event:` name, if any, and its `data:` payload.
struct SSEEvent: Equatable {
    var event: String?
    var data: String
}

/// Splits a complete event stream into events.
func parseEvents(_ bytes: [UInt8]) -> [SSEEvent] {
    String(decoding: bytes, as: UTF8.self)
        .components(separatedBy: "\n\n")
        .filter { !$0.isEmpty }
        .map { block in
            var event = SSEEvent(event: nil, data: "")
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
            }
            return event
        }
}
