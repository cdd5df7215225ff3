import Foundation
import HTTPClient
import ProviderSimulator
import Switchboard
import VectorStores

/// A pipeline (gateway with Redis, completer, simulator) with an HTTP ingress in front of it,
/// all in this process on loopback.
struct IngressHarness {
    let pipeline: PipelineHarness
    let port: Int
    let instance: String
    private let server: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The ingress's own reply topic.
    var replyTopic: String { HTTPIngress.replyTopic(config: pipeline.config, instance: instance) }

    static func start(tenantExtra: String = "", gatewayExtra: String = "", timeout: Duration = .seconds(30),
                      roles: [StageRole] = [.gateway, .router, .completer], serveStages: [StageRole] = [],
                      simulator: SimulatorConfiguration = SimulatorConfiguration(),
                      vectorStore: (any VectorStore)? = nil) async throws -> IngressHarness {
        let pipeline = try await PipelineHarness.start(simulatorConfiguration: simulator, roles: roles, withRedis: true,
                                                       tenantExtra: tenantExtra, gatewayExtra: gatewayExtra, vectorStore: vectorStore)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var options = SwitchboardRuntime.ServeOptions()
        options.port = 0
        options.instance = "test-\(pipeline.id)-\(UUID().uuidString.prefix(4))"
        options.timeout = timeout
        options.stages = serveStages
        let runtime = pipeline.runtime
        let serveOptions = options
        let server = Task {
            defer { continuation.finish() }
            try await runtime.serve(serveOptions) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let outcome = await server.result
            throw HarnessError("the ingress did not start: \(outcome)")
        }
        return IngressHarness(pipeline: pipeline, port: port, instance: options.instance, server: server)
    }

    func stop() async {
        server.cancel()
        _ = await server.result
        await pipeline.stop()
    }

    /// POSTs `body` to `path` with the dev key (or `authorization`, or none when nil).
    func post(_ path: String = "/v1/chat/completions", body: [UInt8], authorization: String? = "Bearer \(PipelineHarness.devKey)",
              headers extra: [(String, String)] = []) async throws -> HTTPResponse {
        var headers = HTTPHeaders([("content-type", "application/json")] + extra)
        if let authorization { headers.add(name: "authorization", value: authorization) }
        return try await HTTPClientBox.shared.execute(HTTPRequest(method: "POST", url: baseURL + path, headers: headers, body: body))
    }

    func get(_ path: String, authorization: String? = "Bearer \(PipelineHarness.devKey)") async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        if let authorization { headers.add(name: "authorization", value: authorization) }
        return try await HTTPClientBox.shared.execute(HTTPRequest(url: baseURL + path, headers: headers))
    }
}
