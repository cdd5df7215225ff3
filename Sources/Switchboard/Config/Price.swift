/// A price in USD per million tokens, held exactly as pico-dollars per token
/// (1 USD per million tokens = 1,000,000 pico-USD per token), so costs add up without
/// floating-point drift.
public struct Price: Sendable, Hashable, Decodable, CustomStringConvertible {
    public var picoUSDPerToken: Int64

    public init(picoUSDPerToken: Int64) {
        self.picoUSDPerToken = picoUSDPerToken
    }

    /// Parses a decimal such as `0.15` or `15` (USD per million tokens), at most 6 decimals.
    public init?(usdPerMillionTokens text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])), whole >= 0 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = String(parts[1])
            guard digits.count <= 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
            fraction = Int64(digits.padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0
        }
        picoUSDPerToken = whole * 1_000_000 + fraction
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let price = Price(usdPerMillionTokens: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a price in USD per million tokens (a decimal with at most 6 places)")
        }
        self = price
    }

    /// The cost of `tokens` tokens in pico-USD.
    public func cost(tokens: Int) -> Int64 { Int64(tokens) * picoUSDPerToken }

    public var description: String { Money.usdString(picoUSD: picoUSDPerToken) }
}

/// Formatting of exact pico-USD amounts.
public enum Money {
    /// `1_050_000` → `"0.00000105"`: exact, no trailing zeros beyond what is needed.
    public static func usdString(picoUSD: Int64) -> String {
        let negative = picoUSD < 0
        let magnitude = picoUSD.magnitude
        let whole = magnitude / 1_000_000_000_000
        var fraction = String(magnitude % 1_000_000_000_000)
        fraction = String(repeating: "0", count: 12 - fraction.count) + fraction
        while fraction.hasSuffix("0") && fraction.count > 2 { fraction.removeLast() }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }
}
