import Foundation

/// A price table in LiteLLM's `model_prices_and_context_window.json` shape: per model, USD
/// per token (`input_cost_per_token: 1.5e-07`), cached-input price, and context window.
/// Prices are read as decimals and converted exactly to ``Price`` (pico-USD per token).
public struct LiteLLMPriceTable: Sendable {
    /// One model's entry.
    public struct Entry: Sendable, Equatable {
        public var inputPrice: Price
        public var outputPrice: Price
        public var cachedInputPrice: Price?
        public var contextWindow: Int?
        /// LiteLLM's provider name (`openai`, `anthropic`, `azure`, ...).
        public var provider: String?
    }

    public private(set) var entries: [String: Entry] = [:]

    private struct Wire: Decodable {
        var input_cost_per_token: Decimal?
        var output_cost_per_token: Decimal?
        var cache_read_input_token_cost: Decimal?
        var max_input_tokens: Int?
        var max_tokens: Int?
        var litellm_provider: String?
    }

    /// Parses the JSON. Entries without per-token prices (images, audio, the `sample_spec`
    /// documentation entry) are skipped; a price finer than one pico-USD per token is an error.
    public init(json: Data) throws(ConfigError) {
        let raw: [String: LenientEntry]
        do {
            raw = try JSONDecoder().decode([String: LenientEntry].self, from: json)
        } catch {
            throw ConfigError(key: "price_table", message: "not a LiteLLM price table: \(error)")
        }
        for (name, lenient) in raw {
            guard let wire = lenient.wire, let input = wire.input_cost_per_token, let output = wire.output_cost_per_token else { continue }
            func price(_ value: Decimal, _ field: String) throws(ConfigError) -> Price {
                guard let price = Price(usdPerToken: value) else {
                    throw ConfigError(key: "price_table.\(name).\(field)", message: "\(value) is not a whole number of pico-USD per token")
                }
                return price
            }
            entries[name] = Entry(inputPrice: try price(input, "input_cost_per_token"), outputPrice: try price(output, "output_cost_per_token"),
                                  cachedInputPrice: try wire.cache_read_input_token_cost.map { (v) throws(ConfigError) in try price(v, "cache_read_input_token_cost") },
                                  contextWindow: wire.max_input_tokens ?? wire.max_tokens, provider: wire.litellm_provider)
        }
    }

    /// Reads the file at `path`.
    public static func load(path: String) throws(ConfigError) -> LiteLLMPriceTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path: path, key: "price_table", message: "cannot read the file")
        }
        return try LiteLLMPriceTable(json: data)
    }

    /// The whole table as a catalog served by one provider, for loading it as the model list.
    public func models(provider: String, litellmProvider: String? = nil) -> [ModelConfig] {
        entries.filter { litellmProvider == nil || $0.value.provider == litellmProvider }.sorted { $0.key < $1.key }.map { name, entry in
            ModelConfig(name: name, deployments: [DeploymentConfig(provider: provider, providerModel: name)], inputPrice: entry.inputPrice,
                        outputPrice: entry.outputPrice, cachedInputPrice: entry.cachedInputPrice, contextWindow: entry.contextWindow)
        }
    }

    /// Decodes an entry whatever its shape, so one odd entry does not reject the table.
    private struct LenientEntry: Decodable {
        var wire: Wire?
        init(from decoder: any Decoder) throws { wire = try? Wire(from: decoder) }
    }
}

extension Price {
    /// USD per token (LiteLLM's unit) to pico-USD per token, exactly; nil when the value has
    /// a fraction of a pico-USD or is negative.
    public init?(usdPerToken value: Decimal) {
        var scaled = value * Decimal(sign: .plus, exponent: 12, significand: 1)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, rounded >= 0, rounded <= Decimal(Int64.max) else { return nil }
        self.init(picoUSDPerToken: NSDecimalNumber(decimal: rounded).int64Value)
    }
}
