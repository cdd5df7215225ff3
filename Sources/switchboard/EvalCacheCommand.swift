import ArgumentParser
import Embeddings
import Foundation
import Logging
import Switchboard

/// `switchboard eval cache --set FILE`
struct EvalCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Semantic cache: hit rate and false-hit rate per threshold on labelled prompt pairs.")

    @Option(name: .long, help: "JSON lines of {a, b, label: hit|miss, kind} (default: ops/eval/cache-pairs.jsonl).")
    var set: String = "ops/eval/cache-pairs.jsonl"

    @Option(name: .long, help: "Comma-separated thresholds (default: 0.70 to 0.975 by 0.025).")
    var thresholds: String?

    @Option(name: .long, help: "The threshold to detail (default: the config's cache.semantic.threshold).")
    var threshold: Double?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .error) }
        let evaluation = try CacheEvaluation.load(path: set)
        let highlight = threshold ?? (try? options.load())?.cache.semantic.threshold ?? SemanticCacheSettings().threshold
        var list = thresholds?.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            ?? stride(from: 0.70, through: 0.9751, by: 0.025).map { ($0 * 1000).rounded() / 1000 }
        if !list.contains(where: { abs($0 - highlight) < 1e-9 }) { list = (list + [highlight]).sorted() }
        let embedder = try MiniLMEmbedder()
        let scored = try await evaluation.score(with: embedder)
        print("eval cache: \(set), all-MiniLM-L6-v2, guards: numbers, negation, named entities")
        print(CacheEvaluation.report(scored, thresholds: list, highlight: highlight))
    }
}
