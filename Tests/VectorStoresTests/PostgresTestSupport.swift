import Foundation
@testable import VectorStores

/// Where the test server is, and stores in schemas of their own.
enum TestPostgres {
    /// From `SWITCHBOARD_PG_URL` (ops/test exports it); the dev server's default otherwise.
    static let url = ProcessInfo.processInfo.environment["SWITCHBOARD_PG_URL"]
        ?? "postgresql://switchboard@127.0.0.1:5432/switchboard"

    /// A schema name no other test (or earlier run) uses.
    static func schema() -> String {
        "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    static func configuration(schema: String = schema(),
                              _ adjust: (inout PostgresVectorStoreConfiguration) -> Void = { _ in }) -> PostgresVectorStoreConfiguration {
        var configuration = PostgresVectorStoreConfiguration(url: url, schema: schema, poolSize: 2,
                                                             applicationName: "switchboard-test-\(schema.suffix(12))")
        adjust(&configuration)
        return configuration
    }

    /// Runs `body` with a store in a fresh schema, then drops the schema, also when `body` throws.
    static func withStore<R>(_ adjust: (inout PostgresVectorStoreConfiguration) -> Void = { _ in },
                             _ body: (PostgresVectorStore) async throws -> R) async throws -> R {
        let store = try await PostgresVectorStore.open(configuration(adjust))
        do {
            let result = try await body(store)
            try await dropSchema(of: store)
            return result
        } catch {
            try? await dropSchema(of: store)
            throw error
        }
    }

    static func dropSchema(of store: PostgresVectorStore) async throws {
        let schema = store.configuration.schema
        try await store.client.perform { connection throws(PostgresError) in
            try connection.execute("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
        }
        try await store.close()
    }

    /// One statement on a connection of the store's pool, for looking behind the protocol.
    static func sql(_ store: PostgresVectorStore, _ text: String, _ parameters: [String?] = []) async throws -> PostgresRows {
        try await store.client.perform { connection throws(PostgresError) in try connection.execute(text, parameters) }
    }
}

/// Deterministic test vectors and documents.
enum PGFixture {
    /// A unit vector drawn from a seeded generator (splitmix64), the same on every run.
    static func unitVector(seed: UInt64, dimension: Int = 16) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var values: [Float] = []
        for _ in 0..<dimension {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            values.append(Float(Double(z >> 11) / Double(1 << 53)) * 2 - 1)
        }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }

    static func document(_ tenant: String, _ id: String, chunks: Int, seed: UInt64, dimension: Int = 16,
                         metadata: [String: String] = [:], hash: String? = nil) -> DocumentVectors {
        let records = (0..<chunks).map { position in
            VectorRecord(tenant: tenant, documentID: id, chunkIndex: position, text: "\(id) part \(position)",
                         metadata: metadata.merging(["chunk": String(position)]) { old, _ in old },
                         vector: unitVector(seed: seed &* 1000 &+ UInt64(position), dimension: dimension))
        }
        return DocumentVectors(tenant: tenant, documentID: id, contentHash: hash ?? "hash-\(id)-\(seed)-\(chunks)", chunks: records)
    }
}
