import Foundation

/// Admission limits of a key or a tenant; a missing field means no limit of that kind.
/// Budgets are exact pico-USD (10⁻¹² USD), written in the config as decimal USD strings.
public struct Limits: Sendable, Codable, Equatable {
    /// Requests per UTC minute.
    public var requestsPerMinute: Int?
    /// Estimated tokens (prompt plus the most it may generate) per UTC minute, reconciled with the actual count.
    public var tokensPerMinute: Int?
    /// Requests admitted and not yet answered.
    public var maxConcurrent: Int?
    /// Spend per UTC day, exact pico-USD.
    public var dailyBudgetPicoUSD: Int64?
    /// Spend per UTC calendar month, exact pico-USD.
    public var monthlyBudgetPicoUSD: Int64?

    enum CodingKeys: String, CodingKey {
        case requestsPerMinute = "requests_per_minute", tokensPerMinute = "tokens_per_minute"
        case maxConcurrent = "max_concurrent", dailyBudget = "daily_budget_usd", monthlyBudget = "monthly_budget_usd"
    }

    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, maxConcurrent: Int? = nil,
                dailyBudgetPicoUSD: Int64? = nil, monthlyBudgetPicoUSD: Int64? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxConcurrent = maxConcurrent
        self.dailyBudgetPicoUSD = dailyBudgetPicoUSD
        self.monthlyBudgetPicoUSD = monthlyBudgetPicoUSD
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
        tokensPerMinute = try c.decodeIfPresent(Int.self, forKey: .tokensPerMinute)
        maxConcurrent = try c.decodeIfPresent(Int.self, forKey: .maxConcurrent)
        func budget(_ key: CodingKeys) throws -> Int64? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let pico = Money.picoUSD(parsing: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(text)' is not an amount in USD (a decimal with at most 12 places)")
            }
            return pico
        }
        dailyBudgetPicoUSD = try budget(.dailyBudget)
        monthlyBudgetPicoUSD = try budget(.monthlyBudget)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(requestsPerMinute, forKey: .requestsPerMinute)
        try c.encodeIfPresent(tokensPerMinute, forKey: .tokensPerMinute)
        try c.encodeIfPresent(maxConcurrent, forKey: .maxConcurrent)
        try c.encodeIfPresent(dailyBudgetPicoUSD.map { Money.usdString(picoUSD: $0) }, forKey: .dailyBudget)
        try c.encodeIfPresent(monthlyBudgetPicoUSD.map { Money.usdString(picoUSD: $0) }, forKey: .monthlyBudget)
    }

    /// True when no limit is set.
    public var isEmpty: Bool { self == Limits() }
}

/// What a key or tenant may use: models (names or aliases; empty means all), retrieval
/// collections (empty means all), and limits.
public struct Scope: Sendable, Codable, Equatable {
    /// Model names or aliases that may be requested; empty: all.
    public var models: [String]
    /// Retrieval collections that may be searched; empty: all.
    public var collections: [String]
    /// Rate limits and budgets.
    public var limits: Limits

    enum CodingKeys: String, CodingKey { case models, collections, limits }

    public init(models: [String] = [], collections: [String] = [], limits: Limits = Limits()) {
        self.models = models
        self.collections = collections
        self.limits = limits
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decodeIfPresent([String].self, forKey: .models) ?? []
        collections = try c.decodeIfPresent([String].self, forKey: .collections) ?? []
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? Limits()
    }
}

extension Money {
    /// `"12.5"` → 12_500_000_000_000: a non-negative decimal USD amount with at most 12 places.
    public static func picoUSD(parsing text: String) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let whole = Int64(parts[0]), whole < 9_000_000 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = String(parts[1])
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = Int64(digits.padding(toLength: 12, withPad: "0", startingAt: 0)) ?? 0
        }
        return whole * 1_000_000_000_000 + fraction
    }
}
