import ArgumentParser
import Foundation
import Switchboard
import Embeddings

/// `switchboard eval ...`: quality measurements.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure retrieval, routing and cache quality on labelled sets.",
        subcommands: [EvalRetrievalCommand.self, EvalChunkingCommand.self, EvalRoutingCommand.self])
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

    @Option(name: .long, help: "Use only the first N documents (quick looks).")
    var limit: Int?

    func run() async throws {
        let embedder = try MiniLMEmbedder()
        var settings = EmbeddingSettings()
        settings.chunker = ChunkerSettings(maxTokens: maxTokens, overlapTokens: overlap)
        settings.embedTitle = title
        let version = IndexVersion(collection: "eval", settings: settings, sequence: 1)
        let tokenizer = embedder.tokenizer
        var documents: [IngestDocument] = []
        for item in try DocumentSource.load(path: corpus) {
            if case .document(let document) = item { documents.append(document) }
        }
        if let limit { documents = Array(documents.prefix(limit)) }
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
        var ranked: [String: [String]] = [:]
        for query in try RetrievalEvaluation.loadQueries(path: queries) where judgements[query.id] != nil {
            let q = try await embedder.embed(query.text)
            var scored = vectors.indices.map { index in (index, zip(q, vectors[index]).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            scored.sort { $0.1 > $1.1 }
            ranked[query.id] = RetrievalEvaluation.documents(fromRankedChunks: scored.prefix(400).map { owners[$0.0] })
        }
        let scores = RetrievalEvaluation.score(ranked: ranked, qrels: judgements)
        print("embedded in \(String(format: "%.1f", embedSeconds)) s; \(scores.queries) judged queries")
        for k in RetrievalEvaluation.cutoffs { print(String(format: "recall@%-3d %.3f", k, scores.recall[k] ?? 0)) }
        print(String(format: "MRR@10     %.3f", scores.mrr10))
        print(String(format: "nDCG@10    %.3f", scores.ndcg10))
    }
}
