import ArgumentParser
import Foundation
import Switchboard

/// `switchboard eval ...`: quality measurements.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure retrieval, routing and cache quality on labelled sets.",
        subcommands: [EvalRetrievalCommand.self])
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
