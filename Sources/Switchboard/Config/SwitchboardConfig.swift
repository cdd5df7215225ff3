import Foundation
import Yams

/// The whole configuration of a Switchboard process, decoded from one YAML file and validated
/// once at start-up. Secrets never live in the file: they are named by environment variable.
public struct SwitchboardConfig: Sendable, Decodable {
    public var kafka: KafkaSettings
    public var redis: RedisSettings
    public var metrics: MetricsSettings
    public var topics: TopicNames
    public var tenants: [TenantConfig]
    public var providers: [ProviderConfig]
    public var models: [ModelConfig]
    /// The model used when a request says `auto` or names no model.
    public var defaultModel: String
    public var gateway: GatewaySettings
    public var completer: CompleterSettings
    /// A LiteLLM-format price table; models listed without prices take theirs from it (by
    /// `provider_model`, else by name). Relative paths are relative to the config file.
    public var priceTable: String?
    public var embeddings: EmbeddingSettings
    public var vectorStore: VectorStoreSettings
    public var retrieval: RetrievalSettings
    /// Model tiers, routing rules and semantic routes; nil: requests keep the model they name.
    public var routing: RoutingSettings?

    enum CodingKeys: String, CodingKey {
        case kafka, redis, metrics, topics, tenants, providers, models
        case defaultModel = "default_model"
        case gateway, completer, priceTable = "price_table", routing
        case embeddings, vectorStore = "vector_store", retrieval
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kafka = try c.decodeIfPresent(KafkaSettings.self, forKey: .kafka) ?? KafkaSettings()
        redis = try c.decodeIfPresent(RedisSettings.self, forKey: .redis) ?? RedisSettings()
        metrics = try c.decodeIfPresent(MetricsSettings.self, forKey: .metrics) ?? MetricsSettings()
        topics = try c.decodeIfPresent(TopicNames.self, forKey: .topics) ?? TopicNames()
        tenants = try c.decodeIfPresent([TenantConfig].self, forKey: .tenants) ?? []
        providers = try c.decodeIfPresent([ProviderConfig].self, forKey: .providers) ?? []
        models = try c.decodeIfPresent([ModelConfig].self, forKey: .models) ?? []
        defaultModel = try c.decodeIfPresent(String.self, forKey: .defaultModel) ?? models.first?.name ?? ""
        gateway = try c.decodeIfPresent(GatewaySettings.self, forKey: .gateway) ?? GatewaySettings()
        completer = try c.decodeIfPresent(CompleterSettings.self, forKey: .completer) ?? CompleterSettings()
        priceTable = try c.decodeIfPresent(String.self, forKey: .priceTable)
        embeddings = try c.decodeIfPresent(EmbeddingSettings.self, forKey: .embeddings) ?? EmbeddingSettings()
        vectorStore = try c.decodeIfPresent(VectorStoreSettings.self, forKey: .vectorStore) ?? VectorStoreSettings()
        retrieval = try c.decodeIfPresent(RetrievalSettings.self, forKey: .retrieval) ?? RetrievalSettings()
        routing = try c.decodeIfPresent(RoutingSettings.self, forKey: .routing)
    }

    /// Loads and validates `path`. Every error names the file and the offending key.
    public static func load(path: String) throws(ConfigError) -> SwitchboardConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path: path, key: "", message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses YAML text; `path` only labels error messages.
    public static func parse(_ yaml: String, path: String = "<config>") throws(ConfigError) -> SwitchboardConfig {
        var config: SwitchboardConfig
        do {
            config = try YAMLDecoder().decode(SwitchboardConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw ConfigError(decoding: error, path: path)
        } catch let error as ConfigError {
            throw ConfigError(path: path, key: error.key, message: error.message)
        } catch {
            throw ConfigError(path: path, key: "", message: "not valid YAML: \(error)")
        }
        if let table = config.priceTable {
            let base = URL(fileURLWithPath: path).deletingLastPathComponent()
            let resolved = table.hasPrefix("/") ? table : base.appendingPathComponent(table).path
            config.applyPrices(try LiteLLMPriceTable.load(path: resolved))
        }
        try config.validate(path: path)
        return config
    }
}

extension SwitchboardConfig {
    /// Fills in prices and context windows the model list leaves out from `table`.
    public mutating func applyPrices(_ table: LiteLLMPriceTable) {
        for index in models.indices where !models[index].pricesGiven {
            guard let entry = table.entries[models[index].providerModel] ?? table.entries[models[index].name] else { continue }
            models[index].inputPrice = entry.inputPrice
            models[index].outputPrice = entry.outputPrice
            models[index].cachedInputPrice = entry.cachedInputPrice ?? entry.inputPrice
            if models[index].contextWindow == nil { models[index].contextWindow = entry.contextWindow }
        }
    }
}

/// A configuration problem, naming the file and the key.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var key: String
    public var message: String

    public init(path: String = "", key: String, message: String) {
        self.path = path
        self.key = key
        self.message = message
    }

    init(decoding error: DecodingError, path: String) {
        func keyPath(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: path, key: keyPath(context.codingPath + [key]), message: "is required")
        case .typeMismatch(let type, let context):
            self.init(path: path, key: keyPath(context.codingPath), message: "must be \(type)")
        case .valueNotFound(let type, let context):
            self.init(path: path, key: keyPath(context.codingPath), message: "must be \(type), found nothing")
        case .dataCorrupted(let context):
            self.init(path: path, key: keyPath(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(path: path, key: "", message: "\(error)")
        }
    }

    public var description: String {
        key.isEmpty ? "config \(path): \(message)" : "config \(path): \(key): \(message)"
    }
}
