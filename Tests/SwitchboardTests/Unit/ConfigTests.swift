import Switchboard
import Testing

@Suite("Configuration")
struct ConfigTests {
    let minimal = """
    tenants:
      - id: acme
        keys: [{id: k1, sha256: \(String(repeating: "a", count: 64))}]
    providers:
      - {name: sim, base_url: "http://127.0.0.1:8089"}
    models:
      - {name: m, provider: sim, input_usd_per_mtok: "0.15", output_usd_per_mtok: "0.6"}
    """

    @Test("a minimal file gets the documented defaults")
    func defaults() throws {
        let config = try SwitchboardConfig.parse(minimal)
        #expect(config.kafka.bootstrapServers == "auto")
        #expect(config.topics.requests == "llm.requests.v1")
        #expect(config.topics.deadLetter == "llm.dlq.v1")
        #expect(config.defaultModel == "m")
        #expect(config.completer.window == 1000)
        #expect(config.gateway.maxRequestBytes == 1_048_576)
        #expect(config.providers[0].kind == .openaiCompatible)
    }

    @Test("errors name the bad key", arguments: [
        ("models:\n  - {name: m, provider: nope}\nproviders:\n  - {name: sim, base_url: 'http://x'}", "models[0].provider"),
        ("tenants:\n  - id: a\n    keys: [{id: k, sha256: abc}]", "tenants[0].keys[0].sha256"),
        ("providers:\n  - {name: sim, base_url: 'ftp://x'}", "providers[0].base_url"),
        ("completer: {window: 0}", "completer.window"),
        ("redis: {url: 'http://localhost'}", "redis.url"),
        ("gateway: {max_request_bytes: many}", "gateway.max_request_bytes"),
        ("providers:\n  - {name: sim}", "providers[0].base_url"),
        ("models:\n  - {name: m, provider: sim, input_usd_per_mtok: 'cheap'}\nproviders:\n  - {name: sim, base_url: 'http://x'}", "models[0].input_usd_per_mtok"),
        ("default_model: ghost\nmodels:\n  - {name: m, provider: sim}\nproviders:\n  - {name: sim, base_url: 'http://x'}", "default_model"),
    ])
    func namedErrors(yaml: String, key: String) {
        #expect {
            _ = try SwitchboardConfig.parse(yaml, path: "x.yaml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == key && error.description.contains("x.yaml")
        }
    }

    @Test("prices are exact: USD per million tokens becomes pico-USD per token")
    func prices() throws {
        #expect(Price(usdPerMillionTokens: "0.15")?.picoUSDPerToken == 150_000)
        #expect(Price(usdPerMillionTokens: "10")?.picoUSDPerToken == 10_000_000)
        #expect(Price(usdPerMillionTokens: "0.000001")?.picoUSDPerToken == 1)
        #expect(Price(usdPerMillionTokens: "0.0000001") == nil)
        #expect(Price(usdPerMillionTokens: "-1") == nil)
        let model = try SwitchboardConfig.parse(minimal).models[0]
        // 7 input tokens at 0.15 and 3 output tokens at 0.60 per million: 1.05 + 1.8 micro-USD.
        #expect(ModelCatalog.cost(model, inputTokens: 7, outputTokens: 3) == 2_850_000)
        #expect(Money.usdString(picoUSD: 2_850_000) == "0.00000285")
        #expect(Money.usdString(picoUSD: 1_000_000_000_000) == "1.00")
    }

    @Test("`${VAR}` in Kafka properties reads the environment")
    func environmentExpansion() throws {
        let config = try SwitchboardConfig.parse(minimal)
        let expanded = config.expandedKafkaProperties(["sasl.password": "${KAFKA_PW}", "plain": "x"], environment: ["KAFKA_PW": "s3cret"])
        #expect(expanded == ["sasl.password": "s3cret", "plain": "x"])
    }

    @Test("bootstrap auto: environment first, then 127.0.0.1:9092")
    func bootstrap() throws {
        let config = try SwitchboardConfig.parse(minimal)
        #expect(config.resolvedBootstrapServers(environment: ["SWITCHBOARD_KAFKA_BOOTSTRAP": "10.1.1.1:9093"]) == "10.1.1.1:9093")
        #expect(config.resolvedBootstrapServers(environment: ["SWITCHBOARD_STATE_DIR": "/nonexistent"]) == "127.0.0.1:9092")
    }

    @Test("the shipped ops/switchboard.yaml is valid")
    func shippedConfig() throws {
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        let config = try SwitchboardConfig.load(path: root + "/ops/switchboard.yaml")
        #expect(!config.tenants.isEmpty && !config.models.isEmpty)
    }
}
