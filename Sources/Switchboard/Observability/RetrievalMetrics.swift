import Metrics

/// Counters and timers of the embedding service and the retriever.
public enum EmbedderMetrics {
    public static func record(_ ack: IndexedAck) {
        Counter(label: "switchboard_documents_total", dimensions: [("collection", ack.collection), ("status", ack.status.rawValue)]).increment()
        if let chunks = ack.chunks, ack.status == .indexed {
            Counter(label: "switchboard_chunks_indexed_total", dimensions: [("collection", ack.collection)]).increment(by: chunks)
        }
        if let ms = ack.ms {
            Timer(label: "switchboard_document_index_seconds", dimensions: [("status", ack.status.rawValue)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(ms * 1_000_000))
        }
    }
}

public enum RetrieverMetrics {
    /// One search: how long the query embedding and the vector search took, how many chunks
    /// came back, and the best score (a falling best score is the first sign of retrieval drift).
    public static func record(collection: String, embedMs: Double, searchMs: Double, hits: Int, bestScore: Double?) {
        Timer(label: "switchboard_retrieval_embed_seconds", dimensions: [("collection", collection)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(embedMs * 1_000_000))
        Timer(label: "switchboard_retrieval_search_seconds", dimensions: [("collection", collection)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(searchMs * 1_000_000))
        Counter(label: "switchboard_retrievals_total", dimensions: [("collection", collection), ("empty", hits == 0 ? "true" : "false")]).increment()
        if let bestScore {
            Recorder(label: "switchboard_retrieval_top_score", dimensions: [("collection", collection)]).record(bestScore)
        }
    }
}
