import Embeddings

/// Semantic routes with their example utterances embedded once at start-up. A prompt goes to
/// the route whose examples it is nearest to, when that similarity reaches the threshold.
public struct SemanticRoutes: Sendable {
    /// A route's name, tier and the unit vectors of its examples.
    struct Route: Sendable {
        var name: String
        var tier: String
        var vectors: [[Float]]
    }

    /// The best route for one prompt, whether or not it reached the threshold.
    public struct Match: Sendable, Equatable {
        public var route: String
        public var tier: String
        public var score: Double
    }

    let routes: [Route]
    public let threshold: Double
    public let topK: Int
    public let embedder: any TextEmbedder

    /// Embeds every route's examples with `embedder`.
    public static func build(_ config: SemanticRoutingConfig, embedder: any TextEmbedder) async throws -> SemanticRoutes {
        var routes: [Route] = []
        for route in config.routes {
            routes.append(Route(name: route.name, tier: route.tier, vectors: try await embedder.embed(route.examples)))
        }
        return SemanticRoutes(routes: routes, threshold: config.threshold, topK: max(1, config.topK), embedder: embedder)
    }

    /// The nearest route to `text` (nil without routes).
    public func nearest(_ text: String) async throws -> Match? {
        nearest(vector: try await embedder.embed(text))
    }

    /// The nearest route to an embedded prompt: the best mean similarity of a route's `topK`
    /// nearest examples. The embedder returns unit vectors, so the dot product is the cosine.
    public func nearest(vector: [Float]) -> Match? {
        var best: Match?
        for route in routes where !route.vectors.isEmpty {
            let similarities = route.vectors.map { Self.dot($0, vector) }.sorted(by: >)
            let top = similarities.prefix(topK)
            let score = Double(top.reduce(0, +)) / Double(top.count)
            if score > (best?.score ?? -.infinity) { best = Match(route: route.name, tier: route.tier, score: score) }
        }
        return best
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
        return sum
    }
}
