import Foundation
import HTTPClient
import Logging
import ProviderSimulator
import Testing

@Suite("Provider simulator: auth, faults, statistics, configuration")
struct SimulatorControlTests {
    @Test("without the configured key, each API answers 401 in its own error shape")
    func authentication() async throws {
        try await withSimulator(SimulatorConfiguration(apiKey: "sk-test")) { _, client, baseURL in
            let chat = "\(baseURL)/v1/chat/completions"
            let missing = try await client.execute(try jsonRequest(chat, chatBody("hi")))
            #expect(missing.status == 401)
            #expect((try jsonObject(missing.body)["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
            let wrong = try await client.execute(try jsonRequest(chat, chatBody("hi"), headers: ["Authorization": "Bearer nope"]))
            #expect(wrong.status == 401)
            let right = try await client.execute(try jsonRequest(chat, chatBody("hi"), headers: ["Authorization": "Bearer sk-test"]))
            #expect(right.status == 200)

            let messages = "\(baseURL)/v1/messages"
            let body: [String: Any] = ["model": "claude-haiku-4-5", "max_tokens": 10, "messages": [["role": "user", "content": "hi"]]]
            let noKey = try await client.execute(try jsonRequest(messages, body, headers: ["anthropic-version": "2023-06-01"]))
            #expect(noKey.status == 401)
            let error = try jsonObject(noKey.body)
            #expect(error["type"] as? String == "error")
            #expect((error["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            let wrongKey = try await client.execute(try jsonRequest(
                messages, body, headers: ["x-api-key": "nope", "anthropic-version": "2023-06-01"]))
            #expect(wrongKey.status == 401)
            let noVersion = try await client.execute(try jsonRequest(messages, body, headers: ["x-api-key": "sk-test"]))
            #expect(noVersion.status == 400)
            let ok = try await client.execute(try jsonRequest(
                messages, body, headers: ["x-api-key": "sk-test", "anthropic-version": "2023-06-01"]))
            #expect(ok.status == 200)
        }
    }

    @Test("statistics count a repeated x-request-id twice, and reset clears them")
    func requestIdCounting() async throws {
        try await withSimulator { simulator, client, baseURL in
            let url = "\(baseURL)/v1/chat/completions"
            for id in ["retried", "retried", "once"] {
                _ = try await client.execute(try jsonRequest(url, chatBody("hi"), headers: ["x-request-id": id]))
            }
            _ = try await client.execute(try jsonRequest(url, chatBody("hi"), headers: ["x-sim-fault": "503"]))
            let response = try await client.execute(HTTPRequest(url: "\(baseURL)/_sim/stats"))
            let stats = try JSONDecoder().decode(SimulatorStats.self, from: Data(response.body))
            #expect(stats.requestsByRequestId == ["retried": 2, "once": 1])
            #expect(stats.requestsByRoute == ["chat.completions": 4])
            #expect(stats.totalRequests == 4)
            #expect(stats.faultsInjected == ["503": 1])
            #expect(stats == simulator.stats())

            let reset = try await client.execute(HTTPRequest(method: "POST", url: "\(baseURL)/_sim/reset"))
            #expect(reset.status == 204)
            #expect(simulator.stats() == SimulatorStats())
        }
    }

    /// A configuration where about half of all requests get some fault.
    private static func faulty(seed: UInt64) -> SimulatorConfiguration {
        SimulatorConfiguration(
            seed: seed,
            defaultBehaviour: RouteBehaviour(
                latency: .uniform(min: 0, max: 2),
                errorRates: [500: 0.15, 503: 0.1],
                rateLimitRate: 0.15,
                malformedRate: 0.1))
    }

    /// The outcome of each of `count` sequential requests: a status, or "malformed".
    private static func outcomes(_ client: HTTPClient, _ baseURL: String, count: Int = 40) async throws -> [String] {
        var outcomes: [String] = []
        for index in 0..<count {
            let response = try await client.execute(try jsonRequest("\(baseURL)/v1/chat/completions", chatBody("q\(index)")))
            let valid = (try? JSONSerialization.jsonObject(with: Data(response.body))) != nil
            outcomes.append(valid ? String(response.status) : "malformed")
        }
        return outcomes
    }

    @Test("the same seed gives the same sequence of fault outcomes")
    func seedReproducibility() async throws {
        let first = try await withSimulator(Self.faulty(seed: 42)) { _, client, baseURL in
            let run = try await Self.outcomes(client, baseURL)
            _ = try await client.execute(HTTPRequest(method: "POST", url: "\(baseURL)/_sim/reset"))
            let replay = try await Self.outcomes(client, baseURL)
            #expect(replay == run)
            return run
        }
        let second = try await withSimulator(Self.faulty(seed: 42)) { _, client, baseURL in
            try await Self.outcomes(client, baseURL)
        }
        let other = try await withSimulator(Self.faulty(seed: 43)) { _, client, baseURL in
            try await Self.outcomes(client, baseURL)
        }
        #expect(first == second)
        #expect(first != other)
        #expect(Set(first).isSuperset(of: ["200", "429", "500", "503", "malformed"]))
    }

    @Test("cancelling run stops the server", .timeLimit(.minutes(1)))
    func cancellation() async throws {
        let simulator = ProviderSimulator(logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = Task { try await simulator.run() }
        let port = try await simulator.boundPort
        let client = HTTPClient(logger: .init(label: "test"))
        defer { client.shutdown() }
        let before = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models"))
        #expect(before.status == 200)
        server.cancel()
        _ = await server.result
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/models"))
        }
        #expect(error?.code == .connect || error?.code == .transport)
    }

    @Test("a configuration file names only what it changes; the rest are defaults")
    func decodingDefaults() throws {
        let json = """
            {"apiKey": "k", "routes": {"chat.completions": {"errorRates": {"500": 0.1},
             "latency": {"kind": "lognormal", "p50": 100, "p99": 900}}}}
            """
        let configuration = try JSONDecoder().decode(SimulatorConfiguration.self, from: Data(json.utf8))
        #expect(configuration.apiKey == "k")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 0)
        #expect(configuration.defaultBehaviour == RouteBehaviour())
        let chat = configuration.behaviour(for: .chatCompletions)
        #expect(chat.errorRates == [500: 0.1])
        #expect(chat.latency == .lognormal(p50: 100, p99: 900))
        #expect(chat.retryAfterSeconds == 1)
        #expect(configuration.behaviour(for: .messages) == RouteBehaviour())
        #expect(configuration.validationErrors().isEmpty)

        let roundTrip = try JSONDecoder().decode(SimulatorConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(roundTrip == configuration)
    }

    @Test("invalid configuration values are reported by key, and run refuses them")
    func validation() async throws {
        let configuration = SimulatorConfiguration(
            port: 70000,
            routes: ["chat": RouteBehaviour(errorRates: [200: 0.5, 500: 0.7])])
        let errors = configuration.validationErrors()
        #expect(errors.contains { $0.hasPrefix("port") })
        #expect(errors.contains { $0.hasPrefix("routes.chat: unknown route") })
        #expect(errors.contains { $0.hasPrefix("routes.chat.rates") })
        #expect(errors.contains { $0.hasPrefix("routes.chat.errorRates: 200") })

        let simulator = ProviderSimulator(configuration: configuration, logger: .init(label: "test"))
        await #expect(throws: ProviderSimulatorError.self) { try await simulator.run() }
        let error = await #expect(throws: ProviderSimulatorError.self) { _ = try await simulator.boundPort }
        #expect(error?.code == .notRunning)
    }
}
