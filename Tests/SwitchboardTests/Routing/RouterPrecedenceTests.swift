import Embeddings
import Foundation
import Logging
import Testing
@testable import Switchboard

/// The order in which the router's sources of a decision apply, and the key's scope.
@Suite("router precedence and scope")
struct RouterPrecedenceTests {
    func decide(_ request: ChatRequest, tenant: String = "acme", allowed: Set<String>? = nil,
                router: PromptRouter? = nil) async throws -> Result<RouteDecision, ReplyError> {
        let chosen: PromptRouter
        if let router { chosen = router } else { chosen = try await RoutingFixtures.router() }
        return await chosen.decide(request, tenant: tenant, allowedModels: allowed)
    }

    func decision(_ request: ChatRequest, allowed: Set<String>? = nil) async throws -> RouteDecision {
        try await decide(request, allowed: allowed).get()
    }

    @Test("nothing matches: the default tier")
    func defaultTier() async throws {
        let d = try await decision(RoutingFixtures.request("hello there"))
        #expect(d == RouteDecision(tier: "small", model: "m-small", reason: "default", localOnly: false))
    }

    @Test("a soft rule applies when no semantic route reaches the threshold")
    func softRule() async throws {
        #expect(try await decision(RoutingFixtures.request("gamma ray")).reason == "rule:gamma")
    }

    @Test("among soft rules the first in order wins")
    func ruleOrder() async throws {
        let d = try await decision(RoutingFixtures.request("gamma again"))
        #expect(d.tier == "large" && d.reason == "rule:gamma")
        // Reversed, the other rule wins: the order decides, not the tier.
        var settings = RoutingFixtures.settings()
        settings.rules = [settings.rules[4], settings.rules[3]]
        let reversed = try await decide(RoutingFixtures.request("gamma again"), router: RoutingFixtures.router(settings)).get()
        #expect(reversed.tier == "coding" && reversed.reason == "rule:gamma-later")
    }

    @Test("a semantic route outranks a soft rule")
    func semanticOverSoftRule() async throws {
        let d = try await decision(RoutingFixtures.request("beta release notes"))
        #expect(d == RouteDecision(tier: "small", model: "m-small", reason: "semantic:beta-route"))
    }

    @Test("a hard rule outranks a semantic route")
    func hardRuleOverSemantic() async throws {
        let d = try await decision(RoutingFixtures.request("urgent: alpha"))
        #expect(d.reason == "rule:urgent" && d.tier == "large")
        let code = try await decision(RoutingFixtures.request("alpha\nfor (i = 0; i < n; i++) {\n  total += i;\n}"))
        #expect(code.reason == "rule:code" && code.tier == "coding")
    }

    @Test("an explicit model outranks every rule and route")
    func explicitOverRules() async throws {
        let d = try await decision(RoutingFixtures.request("urgent: alpha", model: "small"))
        #expect(d == RouteDecision(tier: "small", model: "m-small", reason: "explicit"))
        let unknownTier = try await decision(RoutingFixtures.request("hi", model: "m-large"))
        #expect(unknownTier.model == "m-large" && unknownTier.reason == "explicit")
    }

    @Test("an internal collection forces the local tier, over an explicit model too; a public one does not")
    func sensitivity() async throws {
        let forced = try await decision(RoutingFixtures.request("urgent: alpha", model: "m-large", collection: "secrets"))
        #expect(forced == RouteDecision(tier: "local", model: "m-local", reason: "sensitivity:secrets", localOnly: true))
        let open = try await decision(RoutingFixtures.request("urgent", collection: "docs"))
        #expect(open.tier == "large" && !open.localOnly)
    }

    @Test("scope: an allowed explicit model is served; one outside the scope is forbidden, not rerouted")
    func explicitScope() async throws {
        let allowed: Set<String> = ["m-small", "m-code"]
        #expect(try await decision(RoutingFixtures.request("hi", model: "m-code"), allowed: allowed).reason == "explicit")
        let refused = try await decide(RoutingFixtures.request("hi", model: "large"), allowed: allowed)
        guard case .failure(let error) = refused else { Issue.record("expected forbidden, got \(refused)"); return }
        #expect(error.code == .forbidden && error.message.contains("large"))
        let unknown = try await decide(RoutingFixtures.request("hi", model: "gpt-9"))
        guard case .failure(let unknownError) = unknown else { Issue.record("expected unknown_model"); return }
        #expect(unknownError.code == .unknownModel)
    }

    @Test("scope: a routed tier the key may not use is skipped for the next source of a decision")
    func routedScope() async throws {
        let d = try await decision(RoutingFixtures.request("urgent gamma"), allowed: ["m-small", "m-code"])
        // urgent (hard, large) and gamma (soft, large) are out of scope: gamma-later (coding) decides.
        #expect(d.reason == "rule:gamma-later" && d.model == "m-code")
        // Nothing in scope fits (the default tier's model is out of scope too): forbidden.
        let none = try await decide(RoutingFixtures.request("hi"), allowed: ["m-code"])
        guard case .failure(let error) = none else { Issue.record("expected forbidden, got \(none)"); return }
        #expect(error.code == .forbidden)
    }

    @Test("scope: an internal collection with the local tier out of scope is forbidden, never sent elsewhere")
    func internalOutOfScope() async throws {
        let refused = try await decide(RoutingFixtures.request("hi", collection: "secrets"), allowed: ["m-small", "m-large"])
        guard case .failure(let error) = refused else { Issue.record("expected forbidden, got \(refused)"); return }
        #expect(error.code == .forbidden)
    }

    @Test("rule conditions: task hint, metadata, tenant, patterns, token bounds, collections")
    func conditions() async throws {
        let rules = [
            RoutingRuleConfig(name: "task", tier: "coding", task: ["code"]),
            RoutingRuleConfig(name: "meta", tier: "local", metadata: ["data_class": "confidential", "region": "eu"]),
            RoutingRuleConfig(name: "tenant", tier: "large", tenants: ["vip"]),
            RoutingRuleConfig(name: "ssn", tier: "local", patterns: [#"\b\d{3}-\d{2}-\d{4}\b"#]),
            RoutingRuleConfig(name: "long", tier: "large", minTokens: 200),
            RoutingRuleConfig(name: "docs", tier: "coding", collections: ["api-docs"]),
            RoutingRuleConfig(name: "word", tier: "coding", keywords: ["api"]),
        ]
        var settings = RoutingFixtures.settings(rules: rules)
        settings.semantic = nil
        let router = try await RoutingFixtures.router(settings)
        func reason(_ request: ChatRequest, tenant: String = "acme") async throws -> String {
            try await decide(request, tenant: tenant, router: router).get().reason
        }
        #expect(try await reason(RoutingFixtures.request("x", metadata: ["task": "code"])) == "rule:task")
        #expect(try await reason(RoutingFixtures.request("x", metadata: ["data_class": "confidential"])) == "default")
        #expect(try await reason(RoutingFixtures.request("x", metadata: ["data_class": "confidential", "region": "eu"])) == "rule:meta")
        #expect(try await reason(RoutingFixtures.request("x"), tenant: "vip") == "rule:tenant")
        #expect(try await reason(RoutingFixtures.request("my number is 123-45-6789")) == "rule:ssn")
        #expect(try await reason(RoutingFixtures.request(String(repeating: "word ", count: 200))) == "rule:long")
        #expect(try await reason(RoutingFixtures.request("x", collection: "api-docs")) == "rule:docs")
        #expect(try await reason(RoutingFixtures.request("call the API")) == "rule:word")
        // Keywords match whole words only.
        #expect(try await reason(RoutingFixtures.request("the capital of France")) == "default")
    }

    @Test("code detection: fenced blocks and code lines count, prose about code does not")
    func codeDetection() {
        #expect(CodeDetector.containsCode("Fix this:\n```\nx = 1\n```"))
        #expect(CodeDetector.containsCode("def f(x):\n    return x * 2\n"))
        #expect(CodeDetector.containsCode("SELECT name FROM users WHERE id = 3;\nDELETE FROM t;"))
        #expect(!CodeDetector.containsCode("Can you explain what a function is in programming?"))
        #expect(!CodeDetector.containsCode("Write a short poem about the sea.\nMake it rhyme."))
    }

    @Test("bad routing config is refused at start-up, naming the key")
    func validation() {
        let base = """
        providers: [{name: p, base_url: "http://127.0.0.1:1"}]
        models:
          - {name: a, provider: p}
          - {name: b, deployments: [{provider: p, local: true}]}
        """
        func error(_ routing: String) -> String? {
            do { _ = try SwitchboardConfig.parse(base + "\nrouting:\n" + routing); return nil } catch { return error.key }
        }
        #expect(error("  default_tier: x\n  tiers: {x: {model: a}}") == nil)
        #expect(error("  default_tier: x\n  tiers: {x: {model: nope}}") == "routing.tiers.x.model")
        #expect(error("  default_tier: y\n  tiers: {x: {model: a}}") == "routing.default_tier")
        #expect(error("  default_tier: x\n  tiers: {x: {model: a, local: true}}") == "routing.tiers.x.local")
        #expect(error("  default_tier: x\n  tiers: {x: {model: a}}\n  rules: [{name: r, tier: x, patterns: ['(']}]") == "routing.rules[0].patterns[0]")
        #expect(error("  default_tier: x\n  tiers: {x: {model: a}}\n  collections: {c: {sensitivity: internal}}") == "routing.local_tier")
        #expect(error("  default_tier: x\n  tiers: {x: {model: a}, l: {model: b, local: true}}\n  collections: {c: {sensitivity: internal}}") == nil)
    }

    @Test("the gateway routes in place unless route_inline is off or semantic routes would need a model the process has not loaded")
    func gatewayPlacement() async throws {
        func placement(_ gateway: String, semantic: Bool, embedder: (any TextEmbedder)? = nil) async throws -> String {
            let config = try SwitchboardConfig.parse("""
            kafka: {bootstrap_servers: "127.0.0.1:1"}
            models: [{name: m-small, provider: p}]
            providers: [{name: p, base_url: "http://127.0.0.1:1"}]
            default_model: m-small
            gateway: {\(gateway)}
            routing:
              default_tier: small
              tiers: {small: {model: m-small}}
            \(semantic ? "  semantic: {threshold: 0.5, routes: [{name: r, tier: small, examples: [hello]}]}" : "")
            """, path: "test")
            let runtime = SwitchboardRuntime(config: config, catalog: TopicCatalog(contracts: []), logger: Logger(label: "test"))
            return switch try await runtime.gatewayRouting(embedder: embedder) {
            case .forward: "forward"
            case .inline(let router): router == nil ? "inline without router" : "inline"
            }
        }
        #expect(try await placement("", semantic: false) == "inline")
        #expect(try await placement("route_inline: false", semantic: false) == "forward")
        #expect(try await placement("", semantic: true) == "forward")
        #expect(try await placement("", semantic: true, embedder: MarkerEmbedder()) == "inline")
    }
}
