import ArgumentParser
import Embeddings
import Foundation

extension BenchCommand {
    /// `switchboard bench embed`: throughput of the native all-MiniLM-L6-v2 embedder.
    struct Embed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Texts/s, CPU seconds per pass and peak RSS of the native embedder on the shared benchmark inputs.",
            discussion: """
            Corpora: short and passages (../shared/data/embed-bench), or JSON Lines files. Run one corpus per \
            process for a per-corpus peak RSS. OpenBLAS reads OPENBLAS_CORETYPE when it loads, so export it \
            before starting; the figures name the kernel in use.
            """)

        @Option(name: .long, help: "Passes over each corpus.")
        var passes: Int = 3

        @Option(name: .long, help: "Texts per batch.")
        var batchSize: Int = 32

        @Option(name: .long, help: "Encoder threads.")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(name: .long, help: "Model directory (default: $SWITCHBOARD_MODEL_DIR, else .deps/minilm/...).")
        var model: String?

        @Argument(help: "short, passages, or JSON Lines files of {\"text\": ...}.")
        var corpora: [String] = []

        func run() async throws {
            let defaults = EmbeddingBenchmark.defaultCorpora()
            let files = corpora.map { name -> URL in
                switch name {
                case "short": defaults[0]
                case "passages": defaults[1]
                default: URL(fileURLWithPath: name)
                }
            }
            let embedder = try MiniLMEmbedder(modelDirectory: model.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                              batchSize: batchSize, threads: threads)
            _ = try await EmbeddingBenchmark.run(corpora: files.isEmpty ? defaults : files, embedder: embedder, passes: passes)
        }
    }
}
