import Dispatch
import Foundation

/// `switchboard bench vectors`: recall@k and query rate of a vector store against exact search,
/// and of the bare hnswlib graph on the same data, so the store's own cost (tenant scoping, ids,
/// records, locks, persistence) shows as the gap between the two.
///
/// Data: `count` vectors from `SyntheticVectors` (seeded flat Gaussian clusters, normalised),
/// `chunksPerDocument` to a document, documents dealt round-robin to `tenants` tenants. Queries:
/// further points of the same distribution (never stored), each scoped to one tenant in turn.
/// Ground truth: `ExactVectorStore` on the same documents. The bare library gets one graph per
/// tenant with the same parameters and insertion order, searched with the same ef.
public struct VectorBenchmark: Sendable {
    public struct Options: Sendable {
        public var count = 100_000
        public var dimension = 384
        public var tenants = 4
        public var queries = 1_000
        public var k = 10
        public var chunksPerDocument = 4
        public var documentsPerBatch = 500
        public var efValues = [10, 16, 24, 32, 48, 64, 96, 128]
        public var graph = HnswGraphSettings()
        public var targetRecall = 0.95
        /// Measurements per ef and side; the median is reported.
        public var repeats = 3

        public init() {}
    }

    /// The graph parameters the store under test was opened with, for the bare graphs.
    public struct HnswGraphSettings: Sendable {
        public var m = 16
        public var efConstruction = 200
        public init() {}
    }

    /// Figures of one search configuration.
    public struct SearchFigures: Sendable {
        public var ef: Int
        public var recall: Double
        public var qpsOne: Double
        public var qpsTwo: Double
        public var p50Ms: Double
        public var p99Ms: Double

        /// Each figure's median across runs of the same configuration.
        static func median(_ runs: [SearchFigures]) -> SearchFigures {
            func mid(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            return SearchFigures(ef: runs[0].ef, recall: mid(runs.map(\.recall)), qpsOne: mid(runs.map(\.qpsOne)),
                                 qpsTwo: mid(runs.map(\.qpsTwo)), p50Ms: mid(runs.map(\.p50Ms)), p99Ms: mid(runs.map(\.p99Ms)))
        }
    }

    public let options: Options
    let log: @Sendable (String) -> Void

    public init(options: Options, log: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.options = options
        self.log = log
    }

    /// Runs everything against `store`; `setEf` applies a search ef to it (nil: one pass at its own setting).
    public func run(store: any VectorStore, setEf: (@Sendable (Int) async throws -> Void)?) async throws {
        let o = options
        let generator = SyntheticVectors(dimension: o.dimension)
        log("data               \(o.count) vectors × \(o.dimension) dims (\(generator.clusters) flat Gaussian clusters of \(generator.spread) directions), "
            + "\(o.count / o.chunksPerDocument) documents of \(o.chunksPerDocument) chunks over \(o.tenants) tenants; "
            + "\(o.queries) queries, k=\(o.k), each scoped to one tenant")
        log("machine            \(ProcessStats.cpus()) CPUs, load average \(ProcessStats.loadAverage())")
        var clock = Stopwatch()
        let documents = makeDocuments(generator)
        let queries = (0..<o.queries).map { q in
            VectorQuery(vector: generator.vector(o.count + q), tenant: "tenant-\(q % o.tenants)", k: o.k)
        }
        log(String(format: "generated          %.1f s, RSS %.0f MiB", clock.lap(), ProcessStats.rssMiB()))

        // Ground truth.
        let exact = ExactVectorStore()
        try await exact.createIndex(name: "truth", dimension: o.dimension)
        try await exact.upsert(documents, into: "truth")
        var truth: [[String]] = []
        for query in queries { truth.append(try await exact.search(query, in: "truth").map { "\($0.documentID)#\($0.chunkIndex)" }) }
        log(String(format: "exact search       %.1f s for %d queries (%.0f queries/s, brute force)", clock.lap(), o.queries,
                   Double(o.queries) / clock.last))
        try await exact.dropIndex(name: "truth")

        // The store.
        let rssBefore = ProcessStats.rssMiB()
        let index = "bench-vectors"
        try await store.dropIndex(name: index)
        try await store.createIndex(name: index, dimension: o.dimension)
        clock.lap()
        var batch = 0
        while batch < documents.count {
            let end = min(batch + o.documentsPerBatch, documents.count)
            try await store.upsert(Array(documents[batch..<end]), into: index)
            batch = end
        }
        let insertSeconds = clock.lap()
        log(String(format: "%@ insert    %.0f vectors/s (%.1f s, batches of %d documents, durable per batch), RSS +%.0f MiB",
                   store.kind, Double(o.count) / insertSeconds, insertSeconds, o.documentsPerBatch, ProcessStats.rssMiB() - rssBefore))

        // The bare library: same per-tenant data and insertion order, labels only.
        let rssBare = ProcessStats.rssMiB()
        clock.lap()
        let bare = try BareGraphs(documents: documents, tenants: o.tenants, dimension: o.dimension, settings: o.graph)
        let bareInsert = clock.lap()
        log(String(format: "bare insert        %.0f vectors/s (%.1f s, in memory, no persistence), RSS +%.0f MiB",
                   Double(o.count) / bareInsert, bareInsert, ProcessStats.rssMiB() - rssBare))

        // Store and bare alternate at each ef, each measured `repeats` times (the median counts),
        // so a colleague's build slowing the machine hits both alike.
        var storeFigures: [SearchFigures] = [], bareFigures: [SearchFigures] = []
        for ef in o.efValues {
            var storeRuns: [SearchFigures] = [], bareRuns: [SearchFigures] = []
            for _ in 0..<max(1, o.repeats) {
                if let setEf { try await setEf(ef) }
                storeRuns.append(try await measure(ef: ef, queries: queries, truth: truth,
                                                   search: { query in _ = try await store.search(query, in: index) },
                                                   ids: { query in try await store.search(query, in: index).map { "\($0.documentID)#\($0.chunkIndex)" } }))
                bare.setEf(ef)
                bareRuns.append(try await measure(ef: ef, queries: queries, truth: truth,
                                                  search: { query in _ = try bare.search(query) },
                                                  ids: { query in try bare.ids(query) }))
            }
            storeFigures.append(SearchFigures.median(storeRuns))
            bareFigures.append(SearchFigures.median(bareRuns))
            log(describe(store.kind, storeFigures.last!))
            log(describe("bare", bareFigures.last!))
        }
        summarise(store: store.kind, storeFigures, bareFigures)

        clock.lap()
        try await store.close()
        log(String(format: "close              %.1f s (%@), peak RSS %.0f MiB", clock.lap(),
                   store.kind == "embedded" ? "writes the snapshot" : "disconnects", ProcessStats.peakRSSMiB()))
    }

    private func makeDocuments(_ generator: SyntheticVectors) -> [DocumentVectors] {
        let o = options
        return (0..<(o.count / o.chunksPerDocument)).map { d in
            let tenant = "tenant-\(d % o.tenants)", id = "doc-\(d)"
            let chunks = (0..<o.chunksPerDocument).map { c in
                let i = d * o.chunksPerDocument + c
                return VectorRecord(tenant: tenant, documentID: id, chunkIndex: c,
                                    text: "Synthetic chunk \(c) of document \(d), cluster \(generator.cluster(of: i)).",
                                    metadata: ["source": "bench", "part": "\(c)"], vector: generator.vector(i))
            }
            return DocumentVectors(tenant: tenant, documentID: id, contentHash: "h\(d)", chunks: chunks)
        }
    }

    /// Recall over all queries (`ids`), then single-client latency and rate, then the rate of two
    /// concurrent clients (`search`, which only discards what it gets, as a caller would use it).
    private func measure(ef: Int, queries: [VectorQuery], truth: [[String]],
                         search: @escaping @Sendable (VectorQuery) async throws -> Void,
                         ids: @escaping @Sendable (VectorQuery) async throws -> [String]) async throws -> SearchFigures {
        var found = 0, expected = 0
        for (query, exact) in zip(queries, truth) {
            found += Set(try await ids(query)).intersection(exact).count
            expected += exact.count
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(queries.count)
        var clock = Stopwatch()
        for query in queries {
            let start = Stopwatch.now()
            try await search(query)
            latencies.append(Stopwatch.now() - start)
        }
        let one = Double(queries.count) / clock.lap()
        let rounds = 2
        clock.lap()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<2 {
                group.addTask {
                    for round in 0..<rounds {
                        for n in 0..<queries.count { try await search(queries[(n + client * 500 + round) % queries.count]) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let two = Double(2 * rounds * queries.count) / clock.lap()
        latencies.sort()
        return SearchFigures(ef: ef, recall: Double(found) / Double(max(expected, 1)), qpsOne: one, qpsTwo: two,
                             p50Ms: latencies[latencies.count / 2] * 1000, p99Ms: latencies[latencies.count * 99 / 100] * 1000)
    }

    private func describe(_ who: String, _ f: SearchFigures) -> String {
        String(format: "%@ ef=%-4d recall@%d %.4f  %7.0f q/s (1 client)  %7.0f q/s (2 clients)  p50 %.3f ms  p99 %.3f ms",
               who.padding(toLength: 9, withPad: " ", startingAt: 0), f.ef, options.k, f.recall, f.qpsOne, f.qpsTwo, f.p50Ms, f.p99Ms)
    }

    private func summarise(store: String, _ storeFigures: [SearchFigures], _ bareFigures: [SearchFigures]) {
        let target = options.targetRecall
        guard let s = storeFigures.first(where: { $0.recall >= target }) else {
            log("summary            \(store) never reached recall@\(options.k) \(target) in this ef sweep")
            return
        }
        guard let b = bareFigures.first(where: { $0.recall >= target }) else {
            log("summary            bare hnswlib never reached recall@\(options.k) \(target) in this ef sweep")
            return
        }
        log(String(format: "summary            at recall@%d >= %.2f: %@ ef=%d %.4f, %.0f q/s (1) / %.0f q/s (2); bare ef=%d %.4f, %.0f q/s (1) / %.0f q/s (2); "
                   + "store/bare %.0f%% (1 client), %.0f%% (2 clients)",
                   options.k, target, store, s.ef, s.recall, s.qpsOne, s.qpsTwo, b.ef, b.recall, b.qpsOne, b.qpsTwo,
                   100 * s.qpsOne / b.qpsOne, 100 * s.qpsTwo / b.qpsTwo))
    }
}

/// The bare baseline: one hnswlib graph per tenant through the shim, labels = positions, no
/// records, no locks, no persistence. Searches only read the graphs, which hnswlib allows from
/// several threads; `setEf` runs between measurements, never during one.
final class BareGraphs: @unchecked Sendable {
    private var graphs: [String: HnswGraph] = [:]
    private var ids: [String: [String]] = [:]

    init(documents: [DocumentVectors], tenants: Int, dimension: Int, settings: VectorBenchmark.HnswGraphSettings) throws {
        for document in documents {
            let graph = try graphs[document.tenant] ?? HnswGraph(dimension: dimension, capacity: 1024,
                                                                  parameters: .init(m: settings.m, efConstruction: settings.efConstruction))
            graphs[document.tenant] = graph
            for chunk in document.chunks {
                let label = UInt64(ids[document.tenant, default: []].count)
                try chunk.vector.withUnsafeBufferPointer { try graph.add($0.baseAddress!, label: label) }
                ids[document.tenant, default: []].append(chunk.id)
            }
        }
    }

    func setEf(_ ef: Int) { for graph in graphs.values { graph.setEf(ef) } }

    /// The labels of the k nearest, as the library gives them.
    func search(_ query: VectorQuery) throws -> [UInt64] {
        guard let graph = graphs[query.tenant] else { return [] }
        return try query.vector.withUnsafeBufferPointer { q in
            try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: query.k) { labels in
                try withUnsafeTemporaryAllocation(of: Float.self, capacity: query.k) { scores in
                    let found = try graph.search(q.baseAddress!, k: query.k, labels: labels.baseAddress!, scores: scores.baseAddress!)
                    return Array(labels.prefix(found))
                }
            }
        }
    }

    /// The chunk ids of `search`, for recall.
    func ids(_ query: VectorQuery) throws -> [String] {
        let names = ids[query.tenant] ?? []
        return try search(query).map { names[Int($0)] }
    }
}

/// Monotonic seconds for the benchmark.
struct Stopwatch {
    private var mark = Stopwatch.now()
    private(set) var last = 0.0

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Seconds since the previous lap (or creation).
    @discardableResult
    mutating func lap() -> Double {
        let now = Stopwatch.now()
        last = now - mark
        mark = now
        return last
    }
}

/// Memory and load figures from /proc.
enum ProcessStats {
    static func rssMiB() -> Double { statusField("VmRSS:") }
    static func peakRSSMiB() -> Double { statusField("VmHWM:") }

    static func loadAverage() -> String {
        let text = String(decoding: (try? DurableFile.read("/proc/loadavg")) ?? [], as: UTF8.self)
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func cpus() -> Int {
        let text = String(decoding: (try? DurableFile.read("/proc/cpuinfo")) ?? [], as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
    }

    private static func statusField(_ name: String) -> Double {
        let text = String(decoding: (try? DurableFile.read("/proc/self/status")) ?? [], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }
}
