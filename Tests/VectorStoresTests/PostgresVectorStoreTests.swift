import Foundation
import Testing
@testable import VectorStores

/// The pgvector store against the real dev server (`SWITCHBOARD_PG_URL`), each test in a schema
/// of its own.
@Suite struct PostgresVectorStoreTests {
    @Test func unreachableServerIsUnavailableAndNamesTheAddress() async throws {
        var configuration = TestPostgres.configuration()
        configuration.url = "postgresql://switchboard@127.0.0.1:1/switchboard"
        do {
            _ = try await PostgresVectorStore.open(configuration)
            Issue.record("opening a store on a closed port succeeded")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"), "\(error)")
        }
    }

    @Test func badSchemaNameIsRejectedBeforeConnecting() async throws {
        for bad in ["Public", "a;drop", "x\"y", "", String(repeating: "s", count: 64)] {
            do {
                _ = try await PostgresVectorStore.open(TestPostgres.configuration(schema: bad))
                Issue.record("schema \(bad.debugDescription) was accepted")
            } catch {
                #expect(error.code == .invalidArgument, "\(error)")
            }
        }
    }

    @Test func indexLayoutIsATableWithHNSWCosineIndex() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "docs-v1", dimension: 16)
            let schema = store.configuration.schema
            let definitions = try await TestPostgres.sql(store, """
                SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relnamespace = $1::regnamespace
                """, [schema])
            let hnsw = definitions.rows.compactMap { $0.first ?? nil }.filter { $0.contains("USING hnsw") }
            #expect(hnsw.count == 1)
            #expect(hnsw.first?.contains("(embedding vector_cosine_ops)") == true, "\(hnsw)")
            let type = try await TestPostgres.sql(store, """
                SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = (SELECT oid FROM pg_class WHERE relname ~ '^chunks_[0-9]+$'
                                  AND relnamespace = $1::regnamespace) AND attname = 'embedding'
                """, [schema])
            #expect(type.scalar == "vector(16)")
        }
    }

    @Test func sessionSettingsApplyEfSearchAndIterativeScan() async throws {
        try await TestPostgres.withStore({ $0.efSearch = 77 }) { store in
            try await store.createIndex(name: "i", dimension: 4) // loads pgvector in the session
            #expect(try await TestPostgres.sql(store, "SHOW hnsw.ef_search").scalar == "77")
            #expect(try await TestPostgres.sql(store, "SHOW hnsw.iterative_scan").scalar == "relaxed_order")
        }
    }

    @Test func scoresAreOneMinusCosineDistanceBestFirst() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "i", dimension: 16)
            let documents = (0..<10).map { PGFixture.document("t", "d\($0)", chunks: 2, seed: UInt64($0 + 1)) }
            try await store.upsert(documents, into: "i")
            let query = PGFixture.unitVector(seed: 999)
            let hits = try await store.search(VectorQuery(vector: query, tenant: "t", k: 20), in: "i")
            #expect(hits.count == 20)
            let chunks = Dictionary(uniqueKeysWithValues: documents.flatMap(\.chunks).map { ($0.id, $0) })
            for hit in hits {
                let stored = try #require(chunks["\(hit.documentID)#\(hit.chunkIndex)"])
                let cosine = zip(stored.vector, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                #expect(abs(hit.score - cosine) < 1e-5)
                #expect(hit.text == stored.text)
                #expect(hit.metadata == stored.metadata)
            }
            #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
        }
    }

    /// With many rows the planner walks the HNSW graph; without iterative scans it would stop
    /// after `ef_search` candidates and the filter would leave fewer than `k`.
    @Test func selectiveFilterStillReturnsKRows() async throws {
        try await TestPostgres.withStore({ $0.efSearch = 10 }) { store in
            try await store.createIndex(name: "i", dimension: 16)
            var documents = (0..<1500).map { PGFixture.document("t", "common-\($0)", chunks: 1, seed: UInt64($0 + 10), metadata: ["kind": "common"]) }
            documents += (0..<12).map { PGFixture.document("t", "rare-\($0)", chunks: 1, seed: UInt64($0 + 5000), metadata: ["kind": "rare"]) }
            documents += (0..<300).map { PGFixture.document("other", "rare-\($0)", chunks: 1, seed: UInt64($0 + 7000), metadata: ["kind": "rare"]) }
            for batch in stride(from: 0, to: documents.count, by: 500) {
                try await store.upsert(Array(documents[batch..<min(batch + 500, documents.count)]), into: "i")
            }
            _ = try await TestPostgres.sql(store, "ANALYZE")
            let hits = try await store.search(
                VectorQuery(vector: PGFixture.unitVector(seed: 4242), tenant: "t", k: 10, filter: ["kind": "rare"]), in: "i")
            #expect(hits.count == 10)
            #expect(hits.allSatisfy { $0.documentID.hasPrefix("rare-") && $0.metadata["kind"] == "rare" })
        }
    }

    @Test func hostileValuesAreDataNotSQL() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "i", dimension: 16)
            let tenant = "t'; DROP TABLE x; --"
            let document = PGFixture.document(tenant, "d\"1", chunks: 2, seed: 3, metadata: ["k'": "v\"}"])
            try await store.upsert([document], into: "i")
            let hits = try await store.search(VectorQuery(vector: document.chunks[0].vector, tenant: tenant, k: 5,
                                                          filter: ["k'": "v\"}"]), in: "i")
            #expect(hits.map(\.documentID) == ["d\"1", "d\"1"])
            #expect(try await store.search(VectorQuery(vector: document.chunks[0].vector, tenant: "' OR '1'='1", k: 5), in: "i").isEmpty)
            #expect(try await store.contentHash(tenant: tenant, documentID: "d\"1", in: "i") == document.contentHash)
        }
    }

    @Test func badValuesAreInvalidArgumentsAndStoreNothing() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "i", dimension: 16)
            var withNul = PGFixture.document("t", "d", chunks: 1, seed: 1)
            withNul.chunks[0].text = "a\u{0}b"
            var zero = PGFixture.document("t", "e", chunks: 1, seed: 2)
            zero.chunks[0].vector = Array(repeating: 0, count: 16)
            var twice = PGFixture.document("t", "f", chunks: 2, seed: 3)
            twice.chunks[1].chunkIndex = 0
            for bad in [withNul, zero, twice] {
                await #expect(throws: VectorStoreError.self) { try await store.upsert([PGFixture.document("t", "ok", chunks: 1, seed: 9), bad], into: "i") }
            }
            #expect(try await store.listIndexes().first?.chunks == 0, "a rejected batch writes nothing, not even its good documents")
            await #expect(throws: VectorStoreError.self) { try await store.createIndex(name: "big", dimension: 2001) }
        }
    }

    @Test func concurrentUpsertsOfOneDocumentLeaveOneWholeVersion() async throws {
        try await TestPostgres.withStore({ $0.poolSize = 4 }) { store in
            try await store.createIndex(name: "i", dimension: 16)
            let versions = (1...8).map { PGFixture.document("t", "shared", chunks: $0, seed: UInt64($0), hash: "v\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for version in versions { group.addTask { try await store.upsert([version], into: "i") } }
                try await group.waitForAll()
            }
            let hash = try #require(try await store.contentHash(tenant: "t", documentID: "shared", in: "i"))
            let winner = try #require(versions.first { $0.contentHash == hash })
            let hits = try await store.search(VectorQuery(vector: PGFixture.unitVector(seed: 1), tenant: "t", k: 100), in: "i")
            #expect(hits.count == winner.chunks.count, "chunks of exactly the version whose hash is stored")
            #expect(Set(hits.map(\.text)) == Set(winner.chunks.map(\.text)))
        }
    }

    @Test func aliasFollowsItsIndexAndGoesWithIt() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "kb.v1", dimension: 16)
            try await store.createIndex(name: "kb.v2", dimension: 16)
            try await store.setAlias("kb", to: "kb.v1")
            try await store.setAlias("kb", to: "kb.v2")
            #expect(try await store.resolveAlias("kb") == "kb.v2")
            try await store.dropIndex(name: "kb.v2")
            #expect(try await store.resolveAlias("kb") == nil, "an alias never points at a missing index")
            #expect(try await store.aliases().isEmpty)
        }
    }

    /// Another process drops and re-creates an index under the same name: this store's cached
    /// entry is stale and must be replaced, not used.
    @Test func indexRecreatedElsewhereIsFoundAgain() async throws {
        try await TestPostgres.withStore { store in
            let other = try await PostgresVectorStore.open(store.configuration)
            try await store.createIndex(name: "i", dimension: 16)
            try await store.upsert([PGFixture.document("t", "a", chunks: 1, seed: 1)], into: "i")
            try await other.dropIndex(name: "i")
            try await other.createIndex(name: "i", dimension: 8)
            try await other.close()
            let eight = PGFixture.document("t", "b", chunks: 1, seed: 2, dimension: 8)
            try await store.upsert([eight], into: "i")
            let hits = try await store.search(VectorQuery(vector: eight.chunks[0].vector, tenant: "t", k: 5), in: "i")
            #expect(hits.map(\.documentID) == ["b"])
        }
    }

    /// The server ends every connection of the pool (a restart does the same): the next calls
    /// reconnect instead of failing.
    @Test func terminatedConnectionsAreReplaced() async throws {
        try await TestPostgres.withStore { store in
            try await store.createIndex(name: "i", dimension: 16)
            let document = PGFixture.document("t", "d", chunks: 1, seed: 5)
            try await store.upsert([document], into: "i")
            let admin = try await PostgresVectorStore.open(TestPostgres.configuration(schema: store.configuration.schema) {
                $0.applicationName = "switchboard-test-admin"
            })
            let ended = try await TestPostgres.sql(admin, """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1
                """, [store.configuration.applicationName])
            #expect(Int(ended.scalar ?? "0") ?? 0 >= 1)
            try await admin.close()
            for _ in 0..<4 {
                let hits = try await store.search(VectorQuery(vector: document.chunks[0].vector, tenant: "t", k: 1), in: "i")
                #expect(hits.first?.documentID == "d")
            }
        }
    }
}

/// The shared conformance suite on the pgvector store: each check in a schema of its own,
/// reopened from the server for the persistence check, the schema dropped afterwards.
@Suite struct PostgresVectorStoreConformanceTests {
    static let conformance = VectorStoreConformance {
        let configuration = TestPostgres.configuration()
        let store = try await PostgresVectorStore.open(configuration)
        return VectorStoreConformance.Subject(
            store: store,
            reopen: { old in
                try await old.close()
                return try await PostgresVectorStore.open(configuration)
            },
            cleanUp: {
                try await TestPostgres.dropSchema(of: try await PostgresVectorStore.open(configuration))
            })
    }

    @Test(arguments: VectorStoreConformance.Check.allCases)
    func conformance(_ check: VectorStoreConformance.Check) async throws {
        try await Self.conformance.run(check)
    }
}
