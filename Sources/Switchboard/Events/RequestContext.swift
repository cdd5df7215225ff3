/// What the router decided for a request: the model tier, the model it resolves to, and why.
/// Carried on `llm.complete.v1`, echoed in the reply and the usage event.
public struct RouteDecision: Sendable, Codable, Equatable {
    /// The tier, e.g. `small`, `coding`, `large`, `local`.
    public var tier: String
    /// The catalog model the tier (or the caller's explicit choice) resolves to.
    public var model: String
    /// Which rule decided: `rule:<name>`, `semantic:<route>`, `explicit`, or `default`.
    public var reason: String
    /// When true the request may only go to deployments marked local, even on failover.
    public var localOnly: Bool

    enum CodingKeys: String, CodingKey { case tier, model, reason, localOnly = "local_only" }

    public init(tier: String, model: String, reason: String, localOnly: Bool = false) {
        self.tier = tier
        self.model = model
        self.reason = reason
        self.localOnly = localOnly
    }
}

/// One retrieved chunk a reply cites.
public struct RetrievedSource: Sendable, Codable, Equatable {
    public var documentID: String
    public var chunk: Int
    public var score: Double
    public var title: String?

    enum CodingKeys: String, CodingKey { case documentID = "document_id", chunk, score, title }

    public init(documentID: String, chunk: Int, score: Double, title: String? = nil) {
        self.documentID = documentID
        self.chunk = chunk
        self.score = score
        self.title = title
    }
}

/// What the retriever did for a request with a `retrieval` block. The chunks themselves are
/// already in the request's messages (with citations); this records which ones, from which index.
public struct RetrievalResult: Sendable, Codable, Equatable {
    public var collection: String
    /// The index version the collection's alias pointed at when the request was served.
    public var indexVersion: String
    public var sources: [RetrievedSource]

    enum CodingKeys: String, CodingKey { case collection, indexVersion = "index_version", sources }

    public init(collection: String, indexVersion: String, sources: [RetrievedSource]) {
        self.collection = collection
        self.indexVersion = indexVersion
        self.sources = sources
    }
}

/// How the prompt cache served a request.
public struct CacheInfo: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable { case hit, semanticHit = "semantic_hit", miss, bypass }

    public var outcome: Outcome
    /// For hits: the cost the original call paid, saved this time, in pico-USD.
    public var savedCostPicoUSD: Int64?
    /// For semantic hits: the similarity of the two prompts.
    public var similarity: Double?

    enum CodingKeys: String, CodingKey { case outcome, savedCostPicoUSD = "saved_cost_picousd", similarity }

    public init(outcome: Outcome, savedCostPicoUSD: Int64? = nil, similarity: Double? = nil) {
        self.outcome = outcome
        self.savedCostPicoUSD = savedCostPicoUSD
        self.similarity = similarity
    }
}
