/// An answer as the cache keeps it: the text and what the original call cost, so a hit can
/// report the saving. Only successful answers are ever stored.
public struct CachedAnswer: Sendable, Codable, Equatable {
    public var content: String
    public var finishReason: String?
    public var inputTokens: Int
    public var outputTokens: Int
    /// What the provider call that produced this answer cost, in pico-USD.
    public var costPicoUSD: Int64
    public var provider: String?
    public var model: String?
    public var indexVersion: String
    public var storedAtMs: Int64

    enum CodingKeys: String, CodingKey {
        case content, finishReason = "finish_reason", inputTokens = "input_tokens", outputTokens = "output_tokens"
        case costPicoUSD = "cost_picousd", provider, model, indexVersion = "index_version", storedAtMs = "stored_at_ms"
    }

    public init(content: String, finishReason: String?, inputTokens: Int, outputTokens: Int, costPicoUSD: Int64,
                provider: String?, model: String?, indexVersion: String, storedAtMs: Int64 = Timestamp.nowMs()) {
        self.content = content
        self.finishReason = finishReason
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costPicoUSD = costPicoUSD
        self.provider = provider
        self.model = model
        self.indexVersion = indexVersion
        self.storedAtMs = storedAtMs
    }
}

/// A hit: the answer, and how it was found.
public struct CacheHit: Sendable {
    public var answer: CachedAnswer
    public var info: CacheInfo
}

/// One prompt of a semantic bucket: which exact entry holds its answer, the prompt text (for
/// the guards), the index version, and the unit embedding. Binary, because a lookup reads a
/// whole bucket: length-prefixed strings, then `dimension` little-endian floats.
struct SemanticEntry: Sendable, Equatable {
    var exactKey: String
    var prompt: String
    var indexVersion: String
    var embedding: [Float]

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = [1]
        for text in [exactKey, prompt, indexVersion] {
            let utf8 = Array(text.utf8)
            Self.append(UInt32(utf8.count), to: &bytes)
            bytes += utf8
        }
        Self.append(UInt32(embedding.count), to: &bytes)
        for value in embedding { Self.append(value.bitPattern, to: &bytes) }
        return bytes
    }

    /// Nil for anything not written by `encoded()` (another version, a damaged value).
    init?(bytes: [UInt8]) {
        var offset = 1
        guard bytes.first == 1 else { return nil }
        func u32() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            offset += 4
            return value
        }
        func text() -> String? {
            guard let count = u32().map(Int.init), offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
        guard let key = text(), let prompt = text(), let version = text(), let count = u32().map(Int.init),
              offset + count * 4 == bytes.count else { return nil }
        var vector = [Float](repeating: 0, count: count)
        for i in 0..<count { vector[i] = Float(bitPattern: u32() ?? 0) }
        self.init(exactKey: key, prompt: prompt, indexVersion: version, embedding: vector)
    }

    init(exactKey: String, prompt: String, indexVersion: String, embedding: [Float]) {
        self.exactKey = exactKey
        self.prompt = prompt
        self.indexVersion = indexVersion
        self.embedding = embedding
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
