/// The caller's say over the prompt cache (the request's `cache` block).
public struct CacheDirective: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        /// Cache deterministic requests (temperature 0) only.
        case `default`
        /// Cache this request even if sampled: the caller accepts a repeated answer.
        case on
        /// Neither read nor write the cache.
        case off
    }

    public var mode: Mode?
    /// Keep the answer at most this long; the tier's TTL is the ceiling.
    public var ttlS: Int?

    enum CodingKeys: String, CodingKey { case mode, ttlS = "ttl_s" }

    public init(mode: Mode? = nil, ttlS: Int? = nil) {
        self.mode = mode
        self.ttlS = ttlS
    }
}

/// Stop sequences: the wire allows one string or an array; kept as an array, and written
/// back as one so the internal topic has a single shape.
public struct StopSequences: Sendable, Codable, Equatable {
    public var values: [String]

    public init(_ values: [String]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            values = try container.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
