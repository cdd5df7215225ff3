/// One chat message reduced to what the simulation reads: its role and its text.
struct PromptMessage: Sendable {
    var role: String
    var text: String
}

/// A deterministic answer to a chat request, and its token accounting.
///
/// The same model and messages always give the same text, so tests can compare a streamed
/// answer with a buffered one and a cached reply with a fresh one. The text starts with
/// "Simulated answer to:" and the first 60 characters of the last user message, then a
/// stable reference and filler words up to a length derived from the request's hash.
/// Each piece of text is one completion token; a stream sends one piece per event.
struct SimulatedCompletion: Sendable {
    /// The answer split into tokens; joined, they are the answer.
    let pieces: [String]
    /// Whether `max_tokens` cut the answer short.
    let cutByLimit: Bool
    /// The estimated prompt size: ceil(unicode scalars / 4) + 4 for each message.
    let promptTokens: Int
    /// Prompt tokens served from the simulated cache (see ``init(model:messages:maxTokens:configuration:state:)``).
    let cachedTokens: Int
    /// The stable hash of the request, also used in response ids.
    let hash: UInt64

    var text: String { pieces.joined() }
    var completionTokens: Int { pieces.count }

    /// - Parameter state: remembers prompt prefixes. Like provider prompt caching, a prefix
    ///   (every message but the last) of at least 1024 tokens that was seen before counts as
    ///   cached, rounded down to a multiple of 128 tokens.
    init(model: String, messages: [PromptMessage], maxTokens: Int?, configuration: SimulatorConfiguration, state: SimulatorState) {
        var requestHash = StableHash()
        var prefixHash = StableHash()
        requestHash.combine(model)
        prefixHash.combine(model)
        var promptTokens = 0
        var prefixTokens = 0
        for (index, message) in messages.enumerated() {
            let tokens = Self.estimateTokens(message.text) + 4
            promptTokens += tokens
            requestHash.combine(message.role)
            requestHash.combine(message.text)
            if index < messages.count - 1 {
                prefixTokens += tokens
                prefixHash.combine(message.role)
                prefixHash.combine(message.text)
            }
        }
        hash = requestHash.value
        self.promptTokens = promptTokens
        if prefixTokens >= 1024, state.checkPrefix(prefixHash.value) {
            cachedTokens = prefixTokens / 128 * 128
        } else {
            cachedTokens = 0
        }

        let question = messages.last(where: { $0.role == "user" }) ?? messages.last
        let snippet = String((question?.text ?? "").prefix(60))
        let reference = String(hash & 0xFFFF_FFFF, radix: 16)
        var words = "Simulated answer to: \(snippet) [ref \(reference)]"
            .split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map(String.init)
        let span = UInt64(max(0, configuration.maxCompletionTokens - configuration.minCompletionTokens) + 1)
        let naturalLength = max(1, configuration.minCompletionTokens + Int(hash % span))
        var filler = SplitMix64(seed: hash)
        while words.count < naturalLength {
            words.append(Self.vocabulary[Int(filler.next() % UInt64(Self.vocabulary.count))])
        }
        words.removeLast(words.count - naturalLength)
        let limit = maxTokens.map { max(1, $0) } ?? Int.max
        cutByLimit = limit < words.count
        pieces = words.prefix(limit).enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element }
    }

    /// A rough stand-in for a tokenizer: about four characters a token.
    static func estimateTokens(_ text: String) -> Int {
        (text.unicodeScalars.count + 3) / 4
    }

    private static let vocabulary = [
        "the", "provider", "returns", "a", "steady", "stream", "of", "tokens", "while", "latency",
        "stays", "low", "and", "every", "reply", "is", "deterministic", "so", "tests", "can",
        "compare", "results", "across", "runs", "without", "flakiness", "given", "same", "seed",
        "request", "gateway", "answer",
    ]
}

/// Deterministic unit-length embedding vectors.
enum SimulatedEmbedding {
    /// The same model and text always give the same vector, of Euclidean length 1.
    static func vector(model: String, text: String, dimension: Int) -> [Float] {
        var generator = SplitMix64(seed: StableHash.of(model, text))
        var values = (0..<dimension).map { _ in generator.nextUnit() * 2 - 1 }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { values = values.map { $0 / norm } }
        return values.map(Float.init)
    }
}
