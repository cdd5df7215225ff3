import ArgumentParser
import Foundation
import VectorStores

extension BenchCommand {
    /// `switchboard bench vectors`: recall@10 and queries/s of a vector store against exact search
    /// and against the bare hnswlib graph.
    struct Vectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recall@k, queries/s (1 and 2 clients), p50/p99, insert rate and RSS of a vector store, tenant-scoped, vs exact search and bare hnswlib.",
            discussion: """
            Synthetic but structured data (seeded Gaussian clusters spread along a few directions, L2-normalised), \
            dealt over tenants; every query is scoped to one tenant. The ef sweep finds the point where recall@k \
            reaches 0.95 for the store and for the bare library. Build in release mode for meaningful figures.
            """)

        @Option(name: .long, help: "PostgreSQL URL for --store pgvector (default: $SWITCHBOARD_PG_URL).")
        var pgURL: String?

        @Option(name: .long, help: "embedded or pgvector.")
        var store: String = "embedded"

        @Option(name: .long, help: "Embedded store directory (default: a temporary one, removed afterwards).")
        var directory: String?

        @Option(name: .long, help: "Vectors to store.")
        var count: Int = 100_000

        @Option(name: .long, help: "Dimensions per vector.")
        var dimension: Int = 384

        @Option(name: .long, help: "Tenants the documents are dealt to.")
        var tenants: Int = 4

        @Option(name: .long, help: "Queries (each scoped to one tenant).")
        var queries: Int = 1_000

        @Option(name: .long, help: "Neighbours per query.")
        var k: Int = 10

        @Option(name: .long, help: "Comma-separated search ef values to sweep.")
        var ef: String = "10,16,24,32,48,64,96,128"

        @Option(name: .long, help: "Measurements per ef value and side (the median is reported).")
        var repeats: Int = 3

        @Option(name: .long, help: "hnswlib M (links per node) for the store and the bare graphs.")
        var m: Int = 16

        @Option(name: .long, help: "hnswlib ef_construction.")
        var efConstruction: Int = 200

        func run() async throws {
            var options = VectorBenchmark.Options()
            options.count = count
            options.dimension = dimension
            options.tenants = max(1, tenants)
            options.queries = queries
            options.k = k
            options.efValues = ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            options.repeats = max(1, repeats)
            options.graph.m = m
            options.graph.efConstruction = efConstruction
            guard !options.efValues.isEmpty, count >= options.chunksPerDocument, queries > 0, k > 0 else {
                throw ValidationError("--count, --queries and --k must be positive and --ef must list numbers")
            }
            switch store {
            case "embedded":
                let path = directory ?? NSTemporaryDirectory() + "switchboard-bench-vectors-\(UUID().uuidString)"
                defer { if directory == nil { try? FileManager.default.removeItem(atPath: path) } }
                var configuration = EmbeddedVectorStore.Configuration(directory: path)
                configuration.m = m
                configuration.efConstruction = efConstruction
                let embedded = try await EmbeddedVectorStore.open(configuration)
                print("store              embedded, M=\(m), ef_construction=\(efConstruction), directory \(path)")
                try await VectorBenchmark(options: options).run(store: embedded, setEf: { embedded.setSearchEf($0) })
            case "pgvector":
                guard let url = pgURL ?? ProcessInfo.processInfo.environment["SWITCHBOARD_PG_URL"], !url.isEmpty else {
                    throw ValidationError("--store pgvector needs --pg-url or SWITCHBOARD_PG_URL (ops/dev-up prints the dev URL)")
                }
                // hnsw.ef_search is a session setting of each pooled connection: one pass at the largest --ef.
                let ef = min(1000, max(1, options.efValues.max() ?? 40))
                let schema = "bench_\(UUID().uuidString.prefix(8).lowercased())"
                let postgres = try await PostgresVectorStore.open(PostgresVectorStoreConfiguration(url: url, schema: schema, efSearch: ef))
                print("store              pgvector, hnsw.ef_search=\(ef), m=16, ef_construction=64 (pgvector defaults), schema \(schema)")
                try await VectorBenchmark(options: options).run(store: postgres, setEf: nil)
            default:
                throw ValidationError("--store must be embedded or pgvector, not \(store)")
            }
        }
    }
}
