import Foundation
import VectorStores

/// Re-ranks the nearest chunks of a vector search by adding a small share of their lexical
/// match with the query: BM25 over the candidates' own text, with the candidate set as the
/// corpus (its document frequencies and mean length), divided by the best candidate's BM25 so
/// the share is on the cosine's scale. Words the embedding misses (names, identifiers, rare
/// terms) then break near ties. Only the first `candidates` hits move, and their `score`
/// becomes the fused one they were ranked by; the rest follow in their order with their cosine
/// score (never above a candidate's fused score), so scores still fall down the list.
public struct LexicalReranker: Sendable {
    /// The share of the normalised BM25 score added to the cosine similarity (0: off).
    public var weight: Double
    /// How many of the nearest chunks are re-ranked.
    public var candidates: Int
    public var k1 = 1.2
    public var b = 0.75

    public init(weight: Double, candidates: Int) {
        self.weight = weight
        self.candidates = candidates
    }

    public var isEnabled: Bool { weight > 0 && candidates > 1 }

    /// The chunks a retrieval uses, as the retriever and the operator search both take them: the
    /// nearest `max(k, candidates)` to `query.vector` (only `k` when re-ranking is off), those at
    /// or above `minScore` (a cosine similarity, so before the lexical share), re-ranked, the
    /// first `k`.
    public func retrieve(_ query: VectorQuery, text: String, minScore: Double = -.infinity, from store: any VectorStore,
                         in version: String) async throws -> [VectorHit] {
        var nearestQuery = query
        if isEnabled { nearestQuery.k = max(query.k, candidates) }
        let nearest = try await store.search(nearestQuery, in: version).filter { Double($0.score) >= minScore }
        return Array(rerank(query: text, nearest).prefix(query.k))
    }

    /// `hits` (nearest first) re-ordered by cosine + weight × BM25 / the best BM25.
    public func rerank(query: String, _ hits: [VectorHit]) -> [VectorHit] {
        guard isEnabled, hits.count > 1 else { return hits }
        let head = Array(hits.prefix(candidates))
        let lexical = scores(query: query, texts: head.map(\.text))
        guard let best = lexical.max(), best > 0 else { return hits }
        let fused = head.indices.map { Double(head[$0].score) + weight * lexical[$0] / best }
        // Stable: equal scores keep the vector order.
        let order = head.indices.sorted { fused[$0] != fused[$1] ? fused[$0] > fused[$1] : $0 < $1 }
        return order.map { index in
            var hit = head[index]
            hit.score = Float(fused[index])
            return hit
        } + hits.dropFirst(head.count)
    }

    /// BM25 of `query` against each of `texts`, the texts themselves being the corpus.
    func scores(query: String, texts: [String]) -> [Double] {
        let terms = Set(Self.terms(query))
        guard !terms.isEmpty, !texts.isEmpty else { return texts.map { _ in 0 } }
        // One pass per text: its length in terms and the counts of the query's terms in it.
        let documents: [(length: Int, counts: [Substring: Int])] = texts.map { text in
            let words = Self.terms(text)
            var counts: [Substring: Int] = [:]
            for word in words where terms.contains(word) { counts[word, default: 0] += 1 }
            return (words.count, counts)
        }
        let count = Double(documents.count)
        let meanLength = max(1, Double(documents.reduce(0) { $0 + $1.length }) / count)
        var frequency: [Substring: Int] = [:]
        for document in documents {
            for term in document.counts.keys { frequency[term, default: 0] += 1 }
        }
        return documents.map { document in
            let length = Double(document.length)
            return document.counts.reduce(0) { total, entry in
                let (term, n) = entry
                let df = Double(frequency[term] ?? 0)
                let idf = log(1 + (count - df + 0.5) / (df + 0.5))
                let tf = Double(n)
                return total + idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / meanLength))
            }
        }
    }

    /// Lower-cased runs of ASCII letters, digits and underscores, without common English
    /// function words. Walks the UTF-8 bytes (any other byte ends a word); words are short
    /// strings, mostly stored inline.
    static func terms(_ text: String) -> [Substring] {
        var terms: [Substring] = []
        var word: [UInt8] = []
        word.reserveCapacity(32)
        func flush() {
            guard !word.isEmpty else { return }
            let term = Substring(String(decoding: word, as: UTF8.self))
            if !stopWords.contains(term) { terms.append(term) }
            word.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                word.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                word.append(byte + 32)
            default:
                flush()
            }
        }
        flush()
        return terms
    }

    static let stopWords: Set<Substring> = Set(("a an the of to in is are was were be been it its this that these those and or for on "
        + "with as by at from how do does did i my you your can what why when which who where will would should could there their "
        + "them they not no yes if then than so such into about over more most any all some").split(separator: " "))
}
