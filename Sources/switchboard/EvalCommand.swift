import ArgumentParser
import Foundation
import Switchboard
import Embeddings

/// `switchboard eval ...`: quality measurements.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure retrieval, routing and cache quality on labelled sets.",
        subcommands: [EvalRetrievalCommand.self, EvalChunkingCommand.self, EvalRoutingCommand.self, EvalCacheCommand.self])
}

/// `switchboard eval retrieval --collection C --queries Q --qrels R`
struct EvalRetrievalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Recall@1/5/10/100, MRR@10 and nDCG@10 at document level of a collection, on BEIR queries and qrels.")

    @Option(name: .long, help: "The collection (ingested with switchboard ingest).")
    var collection: String

    @Option(name: .long, help: "queries.jsonl: {\"_id\" or \"id\", \"text\"} per line.")
    var queries: String

    @Option(name: .long, help: "qrels.tsv: query-id<TAB>corpus-id<TAB>score, with a header line.")
    var qrels: String

    @Option(name: .long, help: "The tenant whose documents are searched.")
    var tenant: String = "dev"

    @Option(name: .long, help: "Chunks fetched per query (documents rank at their best chunk).")
    var chunks: Int = 300

    @OptionGroup var admin: AdminOptions
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let queryList = try RetrievalEvaluation.loadQueries(path: queries)
        let judgements = try RetrievalEvaluation.loadQrels(path: qrels)
        let url = admin.baseURL(config) + "/collections/\(collection)/search"
        var ranked: [String: [String]] = [:]
        var version = ""
        let started = ContinuousClock.now
        let bar = ProgressBar(label: "eval \(collection)")
        for (index, query) in queryList.enumerated() where judgements[query.id] != nil {
            let body = EventCoding.encode(CollectionAdmin.SearchRequest(tenant: tenant, query: query.text, k: chunks, filter: nil))
            let (_, response) = try await admin.call("POST", url, body: body, as: CollectionAdmin.SearchResponse.self)
            guard let response else { throw ValidationError("unexpected answer from the embedding service") }
            version = response.version
            ranked[query.id] = RetrievalEvaluation.documents(fromRankedChunks: response.hits.map(\.documentID))
            bar.update(done: index + 1, total: queryList.count, detail: "")
        }
        bar.finish()
        let seconds = ProgressBar.seconds(ContinuousClock.now - started)
        let scores = RetrievalEvaluation.score(ranked: ranked, qrels: judgements)
        print("collection \(collection) (version \(version)), \(scores.queries) judged queries, \(String(format: "%.1f", seconds)) s")
        for k in RetrievalEvaluation.cutoffs { print(String(format: "recall@%-3d %.3f", k, scores.recall[k] ?? 0)) }
        print(String(format: "MRR@10     %.3f", scores.mrr10))
        print(String(format: "nDCG@10    %.3f", scores.ndcg10))
    }
}

/// `switchboard eval chunking`: the same evaluation without a running pipeline, over an exact
/// in-memory search, to choose chunker settings before indexing with them.
struct EvalChunkingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chunking",
        abstract: "Chunk and embed a BEIR corpus in this process with given settings, search exactly, print the retrieval scores.")

    @Option(name: .long, help: "corpus.jsonl: {\"id\" or \"_id\", \"title\", \"text\"} per line.")
    var corpus: String

    @Option(name: .long, help: "queries.jsonl.")
    var queries: String

    @Option(name: .long, help: "qrels.tsv.")
    var qrels: String

    @Option(name: .long, help: "Most tokens per chunk.")
    var maxTokens: Int = 256

    @Option(name: .long, help: "Tokens of overlap between neighbouring chunks.")
    var overlap: Int = 32

    @Flag(name: .long, help: "Embed each chunk with its document title and headings in front.")
    var title = false

    @Option(name: .long, help: "Keep every judged document and only N others (quick looks).")
    var limit: Int?

    @Option(name: .long, help: "Also write the chunk and query vectors here (float32 rows, with .ids files) for offline study.")
    var dump: String?

    func run() async throws {
        // Chunks longer than the model's usual 256 tokens are embedded whole (BERT has 512 positions).
        let embedder = try MiniLMEmbedder(maxLength: max(WordPieceTokenizer.defaultMaxLength, maxTokens))
        var settings = EmbeddingSettings()
        settings.chunker = ChunkerSettings(maxTokens: maxTokens, overlapTokens: overlap)
        settings.embedTitle = title
        let version = IndexVersion(collection: "eval", settings: settings, sequence: 1)
        let tokenizer = embedder.tokenizer
        var documents: [IngestDocument] = []
        for item in try DocumentSource.load(path: corpus) {
            if case .document(let document) = item { documents.append(document) }
        }
        if let limit {
            let judged = Set(try RetrievalEvaluation.loadQrels(path: qrels).values.flatMap(\.keys))
            var others = 0
            documents = documents.filter { document in
                if judged.contains(document.id) { return true }
                others += 1
                return others <= limit
            }
        }
        var owners: [String] = []
        var texts: [String] = []
        for document in documents {
            for piece in DocumentIndexer.chunks(of: document, tenant: "eval", version: version, countTokens: { tokenizer.countTokens($0) }) {
                owners.append(document.id)
                texts.append(piece.embedText)
            }
        }
        print("\(documents.count) documents, \(texts.count) chunks (\(version.fingerprint))")
        let bar = ProgressBar(label: "embed")
        var vectors: [[Float]] = []
        let started = ContinuousClock.now
        for start in stride(from: 0, to: texts.count, by: 256) {
            vectors += try await embedder.embed(Array(texts[start..<min(start + 256, texts.count)]))
            bar.update(done: vectors.count, total: texts.count, detail: "chunks")
        }
        bar.finish()
        let embedSeconds = ProgressBar.seconds(ContinuousClock.now - started)
        let judgements = try RetrievalEvaluation.loadQrels(path: qrels)
        // Document vectors as the normalised mean of their chunks' vectors (the whole passage
        // in one vector), for comparison with ranking each document at its best chunk.
        var documentIndex: [String: Int] = [:]
        var names: [String] = []
        // The document of each chunk, as a position in `names` and `means`.
        let chunkDocument = owners.map { owner in
            if let d = documentIndex[owner] { return d }
            documentIndex[owner] = names.count
            names.append(owner)
            return names.count - 1
        }
        var means = [[Float]](repeating: [Float](repeating: 0, count: embedder.dimension), count: names.count)
        for (index, d) in chunkDocument.enumerated() {
            for j in 0..<embedder.dimension { means[d][j] += vectors[index][j] }
        }
        for d in means.indices {
            let norm = means[d].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { means[d] = means[d].map { $0 / norm } }
        }
        var ranked: [String: [String: [String]]] = [:]
        var queryIDs: [String] = []
        var queryVectors: [[Float]] = []
        for query in try RetrievalEvaluation.loadQueries(path: queries) where judgements[query.id] != nil {
            let q = try await embedder.embed(query.text)
            queryIDs.append(query.id)
            queryVectors.append(q)
            func dot(_ v: [Float]) -> Float { zip(q, v).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            var best = [Float](repeating: -2, count: means.count)
            var first = [Float](repeating: -2, count: means.count)
            for index in vectors.indices {
                let d = chunkDocument[index]
                let score = dot(vectors[index])
                best[d] = max(best[d], score)
                if first[d] == -2 { first[d] = score }
            }
            let mean = means.map(dot)
            func top(_ scores: [Float]) -> [String] {
                scores.indices.sorted { scores[$0] > scores[$1] }.prefix(100).map { names[$0] }
            }
            ranked["best chunk", default: [:]][query.id] = top(best)
            ranked["first chunk", default: [:]][query.id] = top(first)
            ranked["mean vector", default: [:]][query.id] = top(mean)
            ranked["best chunk + mean vector", default: [:]][query.id] = top(best.indices.map { (best[$0] + mean[$0]) / 2 })
        }
        print("embedded in \(String(format: "%.1f", embedSeconds)) s")
        if let dump {
            try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
            func write(_ rows: [[Float]], ids: [String], name: String) throws {
                let floats = rows.flatMap { $0 }
                try floats.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: "\(dump)/\(name).f32"))
                try ids.joined(separator: "\n").write(toFile: "\(dump)/\(name).ids", atomically: true, encoding: .utf8)
            }
            try write(vectors, ids: owners, name: "chunks")
            try write(queryVectors, ids: queryIDs, name: "queries")
            print("vectors written to \(dump) (\(embedder.dimension) float32 per row)")
        }
        for (name, ranking) in ranked.sorted(by: { $0.key < $1.key }) {
            let scores = RetrievalEvaluation.score(ranked: ranking, qrels: judgements)
            print(String(format: "%-26@ recall@1 %.3f  @5 %.3f  @10 %.3f  @100 %.3f  MRR@10 %.3f  nDCG@10 %.3f", name as NSString,
                         scores.recall[1] ?? 0, scores.recall[5] ?? 0, scores.recall[10] ?? 0, scores.recall[100] ?? 0, scores.mrr10, scores.ndcg10))
        }
    }
}
