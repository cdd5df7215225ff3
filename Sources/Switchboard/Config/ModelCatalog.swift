/// Resolves the model a request names (a model, an alias, `auto` or nothing) to a catalog entry.
public struct ModelCatalog: Sendable {
    private let byName: [String: ModelConfig]
    public let defaultModel: String

    public init(models: [ModelConfig], defaultModel: String) {
        var byName: [String: ModelConfig] = [:]
        for model in models {
            byName[model.name] = model
            for alias in model.aliases { byName[alias] = model }
        }
        self.byName = byName
        self.defaultModel = defaultModel
    }

    /// The entry for `requested`; nil or `auto` means the default model.
    public func resolve(_ requested: String?) -> ModelConfig? {
        guard let requested, requested != "auto", !requested.isEmpty else { return byName[defaultModel] }
        return byName[requested]
    }

    /// Every name and alias callers may use.
    public var names: [String] { byName.keys.sorted() }

    /// The exact cost of a call in pico-USD. `cachedInputTokens` are part of `inputTokens` and
    /// are billed at the cached-input price.
    public static func cost(_ model: ModelConfig, inputTokens: Int, outputTokens: Int, cachedInputTokens: Int = 0) -> Int64 {
        let cached = min(max(0, cachedInputTokens), inputTokens)
        return model.inputPrice.cost(tokens: inputTokens - cached) + model.cachedInputPrice.cost(tokens: cached)
            + model.outputPrice.cost(tokens: outputTokens)
    }
}
