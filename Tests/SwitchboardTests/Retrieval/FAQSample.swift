import Foundation
import Switchboard
import VectorStores

/// A slice of the real labelled set in `shared/data/python-docs-faq`: the answer passages of a
/// few FAQ questions among passages from the rest of the Python documentation.
struct FAQSample {
    struct Query {
        var id: String
        var text: String
        var relevant: Set<String>
    }

    var documents: [IngestDocument]
    var queries: [Query]

    static var directory: String {
        PipelineHarness.repositoryRoot() + "/../shared/data/python-docs-faq"
    }

    /// The queries with ids in `queryIDs`, their answer passages, and `distractors` other passages.
    static func load(queryIDs: [String], distractors: Int) throws -> FAQSample {
        let qrels = try RetrievalEvaluation.loadQrels(path: directory + "/qrels.tsv")
        let queries = try RetrievalEvaluation.loadQueries(path: directory + "/queries.jsonl")
            .filter { queryIDs.contains($0.id) }
            .map { Query(id: $0.id, text: $0.text, relevant: Set(qrels[$0.id]?.keys ?? [:].keys)) }
        let wanted = queries.reduce(into: Set<String>()) { $0.formUnion($1.relevant) }
        var documents: [IngestDocument] = []
        var others = 0
        for item in try DocumentSource.load(path: directory + "/corpus.jsonl") {
            guard case .document(let document) = item else { continue }
            if wanted.contains(document.id) {
                documents.append(document)
            } else if others < distractors && !document.id.hasPrefix("faq/") {
                documents.append(document)
                others += 1
            }
        }
        return FAQSample(documents: documents, queries: queries)
    }
}

/// The vector stores end-to-end tests run on: the embedded index in a fresh directory, and
/// PostgreSQL + pgvector of ops/test (`SWITCHBOARD_PG_URL`) in a fresh schema.
enum TestStores {
    enum Kind: String, CaseIterable, Sendable { case embedded, pgvector }

    static func make(_ kind: Kind) async throws -> any VectorStore {
        switch kind {
        case .embedded:
            return try await embedded().store
        case .pgvector:
            guard let url = ProcessInfo.processInfo.environment["SWITCHBOARD_PG_URL"], !url.isEmpty else {
                throw HarnessError("no SWITCHBOARD_PG_URL: run the tests with ops/test (it starts the dev PostgreSQL)")
            }
            return try await PostgresVectorStore.open(PostgresVectorStoreConfiguration(url: url, schema: "test_e2e_\(UUID().uuidString.prefix(8).lowercased())"))
        }
    }

    static func embedded() async throws -> (store: any VectorStore, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-vectors-\(UUID().uuidString.prefix(8))")
        return (try await EmbeddedVectorStore.open(directory: directory.path), directory)
    }
}
