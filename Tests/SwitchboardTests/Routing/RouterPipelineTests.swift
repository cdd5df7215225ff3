import Foundation
import Kafka
import ProviderSimulator
import Switchboard
import Testing

/// The router in the real pipeline: gateway → router → completer over the dev Kafka, with
/// real HTTP providers (the simulator).
@Suite("router in the pipeline", .serialized, .timeLimit(.minutes(5)))
struct RouterPipelineTests {
    static let routing = """
    routing:
      default_tier: small
      tiers:
        small: {model: sim-small}
        coding: {model: sim-coder}
        large: {model: sim-large}
        local: {model: sim-local, local: true}
      collections: {hr: {sensitivity: internal}}
      rules:
        - {name: confidential, tier: local, hard: true, metadata: {data_class: confidential}}
        - {name: code-in-prompt, tier: coding, hard: true, code: true}
    """

    func send(_ pipeline: PipelineHarness, _ text: String, model: String? = nil, metadata: [String: String]? = nil,
              collection: String? = nil) async throws -> String {
        let id = "route-\(UUID().uuidString.lowercased())"
        let request = ChatRequest(model: model, messages: [ChatMessage(role: "user", content: text)], maxTokens: 16, metadata: metadata,
                                  retrieval: collection.map { RetrievalRequest(collection: $0) })
        try await pipeline.producer.send(RequestEvents.make(request, apiKey: PipelineHarness.devKey, topic: pipeline.config.topics.requests,
                                                            requestID: id))
        return id
    }

    @Test("routes by rule, honours an explicit model within the scope, refuses one outside it, sends retrieval to the retriever topic; reply and usage carry tier and reason",
          arguments: [false, true])
    func routedRequests(inGateway: Bool) async throws {
        let models = """
          - {name: sim-small, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60", aliases: [small]}
          - {name: sim-coder, provider: sim, input_usd_per_mtok: "1.10", output_usd_per_mtok: "4.40"}
          - {name: sim-large, provider: sim, input_usd_per_mtok: "2.50", output_usd_per_mtok: "10.00"}
          - {name: sim-local, deployments: [{provider: sim, local: true}], input_usd_per_mtok: "0.05", output_usd_per_mtok: "0.10"}
        """
        // Routed by the router stage, or in the gateway's own process (one hop fewer).
        let pipeline = try await PipelineHarness.start(roles: inGateway ? [.gateway, .completer] : [.gateway, .router, .completer], models: models,
                                                       withRedis: true, tenantExtra: "models: [sim-small, sim-coder, sim-local]",
                                                       routing: Self.routing)
        let code = try await send(pipeline, "Why does this fail?\nfor (int i = 0; i <= n; i++) {\n  sum += a[i];\n}")
        let plain = try await send(pipeline, "Say hello in French.")
        let explicit = try await send(pipeline, "Say hello in French.", model: "sim-coder")
        let forbidden = try await send(pipeline, "Say hello in French.", model: "sim-large")
        let confidential = try await send(pipeline, "Summarize the board minutes.", metadata: ["data_class": "confidential"])
        let internalID = try await send(pipeline, "How many vacation days do I get?", model: "small", collection: "hr")
        let topics = pipeline.config.topics
        let replies = try await pipeline.readAll(topics.results, atLeast: 5, settle: .seconds(1))
        let usage = try await pipeline.readAll(topics.usage, atLeast: 5, settle: .milliseconds(300))
        let retrieve = try await pipeline.readAll(topics.retrieve, atLeast: 1, settle: .milliseconds(300))
        let routeTopic = try await pipeline.readAll(topics.route, atLeast: 0, settle: .milliseconds(300))
        let calls = pipeline.simulator.stats()
        await pipeline.stop()

        func reply(_ id: String) -> Reply? { replies.first { $0.header(CEHeader.requestID) == id }?.decoded(Reply.self) }
        func usageEvent(_ id: String) -> UsageEvent? { usage.first { $0.header(CEHeader.requestID) == id }?.decoded(UsageEvent.self) }

        // Routed in the gateway, nothing travels over the router's topic.
        #expect(inGateway ? routeTopic.isEmpty : routeTopic.count >= 5)
        let coded = try #require(reply(code))
        #expect(coded.timings["router_ms"] != nil)
        #expect(coded.status == .ok && coded.model == "sim-coder")
        #expect(coded.route == RouteDecision(tier: "coding", model: "sim-coder", reason: "rule:code-in-prompt"))
        #expect(usageEvent(code)?.tier == "coding" && usageEvent(code)?.routeReason == "rule:code-in-prompt")
        #expect(usageEvent(code)?.costPicoUSD == usageEvent(code).map { Int64($0.inputTokens) * 1_100_000 + Int64($0.outputTokens) * 4_400_000 })

        #expect(reply(plain)?.route == RouteDecision(tier: "small", model: "sim-small", reason: "default"))
        #expect(reply(explicit)?.route == RouteDecision(tier: "coding", model: "sim-coder", reason: "explicit") && reply(explicit)?.status == .ok)
        #expect(reply(forbidden)?.status == .error && reply(forbidden)?.error?.code == .forbidden)
        #expect(calls.requestsByRequestId[forbidden] == nil)
        let local = try #require(reply(confidential))
        #expect(local.status == .ok && local.route == RouteDecision(tier: "local", model: "sim-local", reason: "rule:confidential", localOnly: true))

        // Retrieval requests leave for the retriever, routed (and forced local by the collection).
        #expect(reply(internalID) == nil)
        let task = try #require(retrieve.first { $0.header(CEHeader.id) == internalID }?.decoded(CompletionTask.self))
        #expect(task.route == RouteDecision(tier: "local", model: "sim-local", reason: "sensitivity:hr", localOnly: true))
        #expect(task.allowedModels.map(Set.init) == ["sim-small", "sim-coder", "sim-local"])

        for record in replies { #expect(pipeline.contractViolations(record, contract: "llm.results.v1") == []) }
        for record in usage { #expect(pipeline.contractViolations(record, contract: "llm.usage.v1") == []) }
        for record in retrieve { #expect(pipeline.contractViolations(record, contract: "llm.retrieve.v1") == []) }
    }

    @Test("a local-tier request whose local deployment fails ends in an error reply; the external deployment of the chain is never called")
    func localTierSurvivesFailover() async throws {
        let (external, externalTask, externalPort) = try await PipelineHarness.startSimulator()
        defer { externalTask.cancel() }
        var failing = SimulatorConfiguration()
        failing.defaultBehaviour = RouteBehaviour(errorRates: [503: 1.0])
        let providers = """
          - {name: own, base_url: "$SIM", timeout_ms: 5000, connect_timeout_ms: 500}
          - {name: ext, base_url: "http://127.0.0.1:\(externalPort)", timeout_ms: 5000, connect_timeout_ms: 500}
        """
        // The same chain twice: once behind the local tier, once as a plain model (the control).
        let models = """
          - {name: sim-small, provider: ext, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.60"}
          - {name: sim-coder, provider: ext}
          - {name: sim-large, provider: ext}
          - {name: sim-local, deployments: [{provider: own, local: true}, {provider: ext}]}
          - {name: sim-mixed, deployments: [{provider: own, local: true}, {provider: ext}]}
        """
        let pipeline = try await PipelineHarness.start(simulatorConfiguration: failing, providers: providers, models: models,
                                                       completer: "  retry: {max_attempts: 4, base_delay_ms: 10, max_delay_ms: 50}\n  circuit_breaker: {failure_threshold: 50, open_ms: 100}",
                                                       routing: Self.routing)
        let localIDs = [
            try await send(pipeline, "Summarize the board minutes.", metadata: ["data_class": "confidential"]),
            try await send(pipeline, "Summarize the board minutes.", model: "sim-local"),
        ]
        let control = try await send(pipeline, "Summarize the public minutes.", model: "sim-mixed")
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 3, settle: .seconds(1))
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 3, settle: .milliseconds(300))
        let externalCalls = external.stats()
        let localCalls = pipeline.simulator.stats()
        await pipeline.stop()

        for id in localIDs {
            let reply = try #require(replies.first { $0.header(CEHeader.requestID) == id }?.decoded(Reply.self))
            #expect(reply.status == .error && reply.route?.localOnly == true)
            #expect(externalCalls.requestsByRequestId[id] == nil, "the external deployment was called for a local-only request")
            #expect((localCalls.requestsByRequestId[id] ?? 0) >= 2, "the local deployment was retried")
            let event = try #require(usage.first { $0.header(CEHeader.requestID) == id }?.decoded(UsageEvent.self))
            #expect(event.attempts?.allSatisfy { $0.provider == "own" } == true && event.tier == "local")
        }
        // Without the local tier, the same chain fails over to the external deployment.
        let answered = try #require(replies.first { $0.header(CEHeader.requestID) == control }?.decoded(Reply.self))
        #expect(answered.status == .ok && answered.provider == "ext" && answered.route?.localOnly == false)
        #expect(externalCalls.requestsByRequestId[control] == 1)
    }
}
