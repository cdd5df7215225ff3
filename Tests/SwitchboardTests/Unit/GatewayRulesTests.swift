import Foundation
import Logging
import Switchboard
import Testing

@Suite("Gateway rules without services")
struct GatewayRulesTests {
    @Test("a v2 request upcasts to the internal form: system first, text blocks joined")
    func upcast() throws {
        let json = #"{"model":"small","system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":"there"}]},{"role":"assistant","content":"Hi"}],"max_tokens":20}"#
        let v2 = try EventCoding.decode(ChatRequestV2.self, from: Array(json.utf8))
        let internalForm = v2.upcast()
        #expect(internalForm == ChatRequest(model: "small", messages: [
            ChatMessage(role: "system", content: "Be brief."),
            ChatMessage(role: "user", content: "Hello\n\nthere"),
            ChatMessage(role: "assistant", content: "Hi"),
        ], maxTokens: 20))
    }

    @Test("the v2 contract accepts text blocks and refuses other block types and roles")
    func v2Contract() throws {
        let contract = try #require(try PipelineHarness.topicCatalog()["llm.requests.v2"])
        func violations(_ json: String) throws -> Int { contract.schema.validate(try JSONValue.parse(Array(json.utf8))).count }
        #expect(try violations(#"{"system":"s","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}"#) == 0)
        #expect(try violations(#"{"messages":[{"role":"user","content":[{"type":"image","text":"x"}]}]}"#) > 0)
        #expect(try violations(#"{"messages":[{"role":"system","content":"x"}]}"#) > 0)
        #expect(try violations(#"{"messages":[{"role":"user","content":[]}]}"#) > 0)
    }

    @Test("USD amounts parse exactly to pico-USD; junk is refused")
    func money() {
        #expect(Money.picoUSD(parsing: "12.5") == 12_500_000_000_000)
        #expect(Money.picoUSD(parsing: "0.000000000001") == 1)
        #expect(Money.picoUSD(parsing: "10000") == 10_000_000_000_000_000)
        #expect(Money.picoUSD(parsing: "-1") == nil)
        #expect(Money.picoUSD(parsing: "1.0000000000001") == nil)
        #expect(Money.picoUSD(parsing: "abc") == nil)
        #expect(Money.picoUSD(parsing: "") == nil)
    }

    @Test("--scope settings build a scope; unknown settings and bad numbers are named")
    func scopeSettings() throws {
        var scope = Scope()
        for setting in ["models=small,large", "collections=docs", "rpm=60", "tpm=1000", "concurrent=4", "daily_usd=1.5", "monthly_usd=20"] {
            try scope.apply(setting)
        }
        #expect(scope.models == ["small", "large"] && scope.collections == ["docs"])
        #expect(scope.limits == Limits(requestsPerMinute: 60, tokensPerMinute: 1000, maxConcurrent: 4,
                                       dailyBudgetPicoUSD: 1_500_000_000_000, monthlyBudgetPicoUSD: 20_000_000_000_000))
        #expect(throws: ConfigError.self) { try scope.apply("rpm=lots") }
        #expect(throws: ConfigError.self) { try scope.apply("colour=blue") }
    }

    @Test("tenant and key limits and scopes decode from the config")
    func configScopes() throws {
        let config = try SwitchboardConfig.parse("""
        tenants:
          - id: acme
            models: [small]
            limits: {requests_per_minute: 100, daily_budget_usd: "2.50"}
            keys:
              - {id: k1, sha256: \(KeyStore.hash("sk-1")), collections: [docs], limits: {max_concurrent: 3}}
        """)
        let store = KeyStore(tenants: config.tenants, defaultReplyTopic: "llm.results.v1")
        let grant = try #require(store.grant(hash: KeyStore.hash("sk-1")))
        #expect(grant.tenantScope.limits.requestsPerMinute == 100)
        #expect(grant.tenantScope.limits.dailyBudgetPicoUSD == 2_500_000_000_000)
        #expect(grant.keyScope.limits.maxConcurrent == 3)
        #expect(grant.allows(collection: "docs") && !grant.allows(collection: "hr"))
        #expect(grant.allows(model: "small", resolved: nil) && !grant.allows(model: "large", resolved: nil))
    }

    @Test("the token estimate grows with the text and counts every message")
    func tokenEstimate() {
        #expect(TokenEstimate.prompt([ChatMessage(role: "user", content: "")]) == 4)
        #expect(TokenEstimate.prompt([ChatMessage(role: "user", content: "abcd")]) == 5)
        #expect(TokenEstimate.prompt([ChatMessage(role: "user", content: String(repeating: "x", count: 400))]) == 104)
    }
}

@Suite("JSON log lines")
struct JSONLogLineTests {
    @Test("a log line is one JSON object that reads back exactly, whatever the text holds")
    func roundTrip() throws {
        let object = ["msg": "quote \" backslash \\ newline \n tab \t bell \u{07} é 漢 🙂", "request_id": "r1", "a/b": "x/y"]
        let line = JSONLogHandler.line(object)
        #expect(line.last == 0x0A && !line.dropLast().contains(0x0A))
        let parsed = try JSONValue.parse(Array(line.dropLast()))
        #expect(parsed.objectValue?.mapValues { $0.stringValue ?? "" } == object)
    }

    @Test("a handler's line: event metadata wins over the handler's, the line's own fields over both")
    func handlerLine() throws {
        var handler = JSONLogHandler(label: "switchboard.gateway")
        handler.metadata = ["stage": "gateway", "request_id": "from-handler", "msg": "shadowed"]
        let event = LogEvent(level: .warning, message: "dead-lettered", metadata: ["request_id": "r-7", "level": "debug"],
                             source: nil, file: #fileID, function: #function, line: #line)
        let line = handler.line(for: event, at: Date(timeIntervalSince1970: 1_767_225_600.25))
        #expect(line.last == 0x0A && !line.dropLast().contains(0x0A))
        let parsed = try JSONValue.parse(Array(line.dropLast())).objectValue?.mapValues { $0.stringValue ?? "" }
        #expect(parsed == ["stage": "gateway", "request_id": "r-7", "msg": "dead-lettered", "level": "warning",
                           "logger": "switchboard.gateway", "ts": "2026-01-01T00:00:00.250Z"])
        // Keys come in byte order.
        let text = String(decoding: line, as: UTF8.self)
        let positions = ["level", "logger", "msg", "request_id", "stage", "ts"].compactMap { text.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.count == 6 && positions == positions.sorted())
    }
}
