import Testing
import VectorStores
@testable import Switchboard

/// The lexical re-ranking of the nearest chunks.
@Suite("lexical re-ranker")
struct LexicalRerankerTests {
    func hit(_ id: String, _ text: String, _ score: Float) -> VectorHit {
        VectorHit(documentID: id, chunkIndex: 0, text: text, metadata: [:], score: score)
    }

    @Test("a near tie goes to the chunk that shares the query's rare words; a clear vector lead stands; hits beyond the candidates keep their place")
    func nearTies() {
        let hits = [
            hit("a", "Strings in Python cannot be changed once created.", 0.62),
            hit("b", "Why is the GIL held while a thread runs bytecode?", 0.61),
            hit("c", "Unrelated text about installers and paths.", 0.30),
            hit("d", "The GIL again, but beyond the candidates.", 0.20),
        ]
        let reranker = LexicalReranker(weight: 0.1, candidates: 3)
        let order = reranker.rerank(query: "What does the GIL do for a thread?", hits).map(\.documentID)
        #expect(order == ["b", "a", "c", "d"])
        // A candidate's score becomes the fused one (cosine + 0.1 for the best lexical match), so
        // scores still fall down the list; the hit beyond the candidates keeps its cosine.
        let reranked = reranker.rerank(query: "GIL thread", hits)
        #expect(abs((reranked.first?.score ?? 0) - 0.71) < 1e-6)
        #expect(reranked.map(\.score) == reranked.map(\.score).sorted(by: >) && reranked.last?.score == 0.20)
        // A lead larger than the weight is not overturned.
        let lead = [hit("a", "Strings cannot be changed.", 0.80), hit("b", "GIL thread GIL thread", 0.61)]
        #expect(reranker.rerank(query: "GIL thread", lead).map(\.documentID) == ["a", "b"])
        // Off, or without a lexical match: the vector order.
        #expect(LexicalReranker(weight: 0, candidates: 3).rerank(query: "GIL", hits) == hits)
        #expect(reranker.rerank(query: "the of and", hits) == hits)
    }

    @Test("BM25 among the candidates: rarer words weigh more, and words are lower-cased runs of letters, digits and underscores")
    func scoring() {
        let reranker = LexicalReranker(weight: 0.1, candidates: 10)
        let scores = reranker.scores(query: "asyncio event_loop", texts: ["asyncio event_loop", "asyncio", "asyncio tasks", "nothing"])
        #expect(scores[0] > scores[1] && scores[1] > 0 && scores[3] == 0)
        #expect(LexicalReranker.terms("The Event_Loop, in asyncio3!") == ["event_loop", "asyncio3"])
    }
}
