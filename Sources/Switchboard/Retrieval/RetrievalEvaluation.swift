import Foundation

/// Retrieval quality at document level, in the BEIR layout: queries (`{"_id"|"id", "text"}` per
/// line), qrels (`query-id<TAB>corpus-id<TAB>score` with a header), and a ranked list of chunk
/// hits per query that map back to their documents (a document ranks at its best chunk).
public struct RetrievalEvaluation: Sendable {
    public struct Query: Sendable {
        public var id: String
        public var text: String
    }

    public struct Scores: Sendable, Equatable {
        public var queries: Int
        public var recall: [Int: Double]
        public var mrr10: Double
        public var ndcg10: Double
    }

    public static let cutoffs = [1, 5, 10, 100]

    public static func loadQueries(path: String) throws -> [Query] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DocumentSourceError("\(path) cannot be read") }
        struct Line: Decodable { var _id: String?; var id: String?; var text: String }
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().compactMap { index, line in
            if line.allSatisfy({ $0 == 32 || $0 == 13 }) { return nil }
            guard let query = try? JSONDecoder().decode(Line.self, from: Data(line)), let id = query._id ?? query.id else {
                throw DocumentSourceError("\(path):\(index + 1): not a query line {\"_id\" or \"id\", \"text\"}")
            }
            return Query(id: id, text: query.text)
        }
    }

    /// Relevance per query and document (scores > 0 only).
    public static func loadQrels(path: String) throws -> [String: [String: Int]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw DocumentSourceError("\(path) cannot be read") }
        var qrels: [String: [String: Int]] = [:]
        for (index, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0 && fields.first == "query-id" { continue }
            guard fields.count >= 3, let score = Int(fields[2]) else {
                throw DocumentSourceError("\(path):\(index + 1): expected query-id<TAB>corpus-id<TAB>score")
            }
            if score > 0 { qrels[fields[0], default: [:]][fields[1]] = score }
        }
        return qrels
    }

    /// Documents in rank order from chunk hits in rank order: each document at its first (best) chunk.
    public static func documents(fromRankedChunks ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// Scores over every query that has judgements; `ranked[q]` is the document ranking for q.
    public static func score(ranked: [String: [String]], qrels: [String: [String: Int]]) -> Scores {
        var recall = Dictionary(uniqueKeysWithValues: cutoffs.map { ($0, 0.0) })
        var mrr = 0.0, ndcg = 0.0
        let judged = qrels.filter { !$0.value.isEmpty }
        for (query, relevant) in judged {
            let ranking = ranked[query] ?? []
            for k in cutoffs {
                let found = ranking.prefix(k).filter { relevant[$0] != nil }.count
                recall[k, default: 0] += Double(found) / Double(relevant.count)
            }
            if let rank = ranking.prefix(10).firstIndex(where: { relevant[$0] != nil }) { mrr += 1 / Double(rank + 1) }
            var dcg = 0.0
            for (rank, document) in ranking.prefix(10).enumerated() {
                if let gain = relevant[document] { dcg += (pow(2, Double(gain)) - 1) / log2(Double(rank + 2)) }
            }
            let ideal = relevant.values.sorted(by: >).prefix(10).enumerated()
                .reduce(0.0) { $0 + (pow(2, Double($1.element)) - 1) / log2(Double($1.offset + 2)) }
            ndcg += ideal > 0 ? dcg / ideal : 0
        }
        let n = Double(max(judged.count, 1))
        return Scores(queries: judged.count, recall: recall.mapValues { $0 / n }, mrr10: mrr / n, ndcg10: ndcg / n)
    }
}
