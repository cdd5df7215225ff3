import Embeddings
import Foundation

/// `switchboard eval cache`: replays labelled prompt pairs through the semantic cache's
/// decision (similarity of the embeddings at a threshold, then the guards) and reports, per
/// threshold, how many paraphrases hit and how many near-misses would have been served the
/// wrong answer.
public struct CacheEvaluation: Sendable {
    /// One labelled pair: `hit` when `b` may be answered with `a`'s answer, `miss` when not.
    public struct Pair: Sendable, Codable {
        public var a: String
        public var b: String
        public var label: String
        /// What differs in a near-miss: `number`, `negation`, `entity`, `ask`; `paraphrase` for hits.
        public var kind: String?
    }

    /// A pair with its similarity and the guards' verdict.
    public struct Scored: Sendable {
        public var pair: Pair
        public var similarity: Double
        public var block: PromptGuard.Block?
        public var shouldHit: Bool { pair.label == "hit" }
    }

    public let pairs: [Pair]

    /// Reads a JSON-lines file; a bad line is an error naming its number.
    public static func load(path: String) throws -> CacheEvaluation {
        guard let data = FileManager.default.contents(atPath: path) else { throw StartupError("cannot read \(path)") }
        var pairs: [Pair] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let pair = try? JSONDecoder().decode(Pair.self, from: Data(line.utf8)), ["hit", "miss"].contains(pair.label) else {
                throw StartupError("\(path):\(index + 1): expected {\"a\": ..., \"b\": ..., \"label\": \"hit\"|\"miss\"}")
            }
            pairs.append(pair)
        }
        return CacheEvaluation(pairs: pairs)
    }

    public init(pairs: [Pair]) {
        self.pairs = pairs
    }

    /// Embeds every prompt once and scores each pair.
    public func score(with embedder: any TextEmbedder) async throws -> [Scored] {
        let texts = Array(Set(pairs.flatMap { [$0.a, $0.b] })).sorted()
        let vectors = try await embedder.embed(texts)
        let byText = Dictionary(uniqueKeysWithValues: zip(texts, vectors))
        return pairs.map { pair in
            let similarity = Double(PromptCache.dot(byText[pair.a] ?? [], byText[pair.b] ?? []))
            return Scored(pair: pair, similarity: similarity, block: PromptGuard.block(pair.b, pair.a))
        }
    }

    /// The report: a row per threshold with and without guards, then the false hits and the
    /// blocked paraphrases at `highlight`.
    public static func report(_ scored: [Scored], thresholds: [Double], highlight: Double) -> String {
        let positives = scored.filter(\.shouldHit), negatives = scored.filter { !$0.shouldHit }
        func rates(_ threshold: Double, guards: Bool) -> (hit: Double, falseHit: Double, falseCount: Int) {
            func served(_ s: Scored) -> Bool { s.similarity >= threshold && (!guards || s.block == nil) }
            let hits = positives.filter(served).count, falses = negatives.filter(served).count
            return (Double(hits) / Double(max(1, positives.count)), Double(falses) / Double(max(1, negatives.count)), falses)
        }
        var lines = ["\(scored.count) pairs: \(positives.count) should hit (paraphrases), \(negatives.count) must not (near-misses: "
                     + Dictionary(grouping: negatives, by: { $0.pair.kind ?? "-" }).map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ") + ")",
                     "",
                     "threshold   hit rate   false-hit rate (guards on)   |   hit rate   false-hit rate (guards off)"]
        for threshold in thresholds {
            let on = rates(threshold, guards: true), off = rates(threshold, guards: false)
            lines.append(String(format: "  %.3f      %5.1f%%     %5.2f%% (%d)                  |   %5.1f%%     %5.2f%% (%d)%@",
                                threshold, on.hit * 100, on.falseHit * 100, on.falseCount, off.hit * 100, off.falseHit * 100, off.falseCount,
                                abs(threshold - highlight) < 1e-9 ? "   ← default" : ""))
        }
        let falseHits = negatives.filter { $0.similarity >= highlight && $0.block == nil }
        lines.append("")
        lines.append(String(format: "false hits at %.3f (guards on): %d", highlight, falseHits.count))
        for s in falseHits { lines.append(String(format: "  %.3f  [%@] %@  ⇄  %@", s.similarity, s.pair.kind ?? "-", s.pair.a, s.pair.b)) }
        let blocked = Dictionary(grouping: negatives.filter { $0.similarity >= highlight && $0.block != nil }, by: { $0.block!.rawValue })
        lines.append("near-misses above the threshold that the guards blocked: "
                     + (blocked.isEmpty ? "none" : blocked.map { "\($0.value.count) by \($0.key)" }.sorted().joined(separator: ", ")))
        let lostByGuards = positives.filter { $0.similarity >= highlight && $0.block != nil }
        lines.append("paraphrases above the threshold that the guards blocked: \(lostByGuards.count)")
        for s in lostByGuards { lines.append(String(format: "  %.3f  [%@] %@  ⇄  %@", s.similarity, s.block?.rawValue ?? "-", s.pair.a, s.pair.b)) }
        return lines.joined(separator: "\n")
    }
}
