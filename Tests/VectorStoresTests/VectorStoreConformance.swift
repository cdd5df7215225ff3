import Foundation
import Testing
import VectorStores

/// The behaviour every `VectorStore` must show, as a list of checks any backend's test file runs:
///
/// ```swift
/// @Test(arguments: VectorStoreConformance.Check.allCases)
/// func conformance(_ check: VectorStoreConformance.Check) async throws {
///     try await VectorStoreConformance(subjects: MyBackend.makeSubject).run(check)
/// }
/// ```
///
/// Each check gets a fresh subject from the factory and uses index and alias names with a random
/// part, so backends that share a server (Postgres) can run checks side by side; it drops what it
/// created and then calls the subject's `cleanUp`.
struct VectorStoreConformance: Sendable {
    /// A store under test, how to reopen it from what it persisted, and how to remove its traces.
    struct Subject: Sendable {
        var store: any VectorStore
        /// Closes the given store and opens the same one again from its persisted state; nil for
        /// stores that keep nothing (the persistence check then asserts nothing and says so).
        var reopen: (@Sendable (any VectorStore) async throws -> any VectorStore)?
        var cleanUp: @Sendable () async throws -> Void = {}
    }

    enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case indexLifecycle, invalidNames, dimensionMismatch, unknownIndex, exactTopOneForStoredVectors
        case upsertReplacesStaleChunks, deleteDocument, contentHashRoundTrip, idempotentReupsert
        case tenantIsolation, metadataFilters, selectiveFilter, aliases, kLargerThanData, emptyResults
        case persistenceAfterReopen

        var testDescription: String { rawValue }
    }

    let subjects: @Sendable () async throws -> Subject

    init(subjects: @escaping @Sendable () async throws -> Subject) {
        self.subjects = subjects
    }

    func run(_ check: Check) async throws {
        let subject = try await subjects()
        let names = Names()
        var store = subject.store
        do {
            store = try await run(check, on: subject, names: names)
        } catch {
            await Self.drop(names, in: store)
            try? await store.close()
            try? await subject.cleanUp()
            throw error
        }
        await Self.drop(names, in: store)
        try await store.close()
        try await subject.cleanUp()
    }

    /// Runs one check; returns the store in use at the end (a reopened one after persistence).
    private func run(_ check: Check, on subject: Subject, names: Names) async throws -> any VectorStore {
        let store = subject.store
        switch check {
        case .indexLifecycle: try await indexLifecycle(store, names)
        case .invalidNames: try await invalidNames(store, names)
        case .dimensionMismatch: try await dimensionMismatch(store, names)
        case .unknownIndex: try await unknownIndex(store, names)
        case .exactTopOneForStoredVectors: try await exactTopOne(store, names)
        case .upsertReplacesStaleChunks: try await upsertReplacesStaleChunks(store, names)
        case .deleteDocument: try await deleteDocument(store, names)
        case .contentHashRoundTrip: try await contentHashRoundTrip(store, names)
        case .idempotentReupsert: try await idempotentReupsert(store, names)
        case .tenantIsolation: try await tenantIsolation(store, names)
        case .metadataFilters: try await metadataFilters(store, names)
        case .selectiveFilter: try await selectiveFilter(store, names)
        case .aliases: try await aliases(store, names)
        case .kLargerThanData: try await kLargerThanData(store, names)
        case .emptyResults: try await emptyResults(store, names)
        case .persistenceAfterReopen: return try await persistenceAfterReopen(subject, names)
        }
        return store
    }

    static let dimension = 16

    // MARK: - Checks

    private func indexLifecycle(_ store: any VectorStore, _ names: Names) async throws {
        let a = names.index("a"), b = names.index("b")
        try await store.createIndex(name: a, dimension: Self.dimension)
        try await store.createIndex(name: b, dimension: 8)
        try await store.createIndex(name: a, dimension: Self.dimension)  // again: nothing changes
        var listed = try await store.listIndexes().filter { names.owns($0.name) }.sorted { $0.name < $1.name }
        #expect(listed == [IndexInfo(name: a, dimension: Self.dimension, chunks: 0, documents: 0),
                           IndexInfo(name: b, dimension: 8, chunks: 0, documents: 0)])
        try await store.upsert([Fixture.document("t1", "d1", chunks: 2, seed: 1)], into: a)
        listed = try await store.listIndexes().filter { $0.name == a }
        #expect(listed == [IndexInfo(name: a, dimension: Self.dimension, chunks: 2, documents: 1)])

        try await store.dropIndex(name: a)
        #expect(try await store.listIndexes().filter { names.owns($0.name) }.map(\.name) == [b])
        try await store.dropIndex(name: a)  // a missing index: nothing happens
        try await store.createIndex(name: a, dimension: Self.dimension)
        #expect(try await store.listIndexes().first { $0.name == a }?.chunks == 0, "a re-created index starts empty")
    }

    private func invalidNames(_ store: any VectorStore, _ names: Names) async throws {
        for bad in ["", "a/b", "../escape", ".hidden", "white space", String(repeating: "x", count: 200)] {
            try await expectCode(.invalidArgument, "index name \(bad.debugDescription)") {
                try await store.createIndex(name: bad, dimension: Self.dimension)
            }
        }
        let index = try await names.created(store, "i")
        try await expectCode(.invalidArgument, "alias name with a slash") { try await store.setAlias("x/y", to: index) }
        try await expectCode(.invalidArgument, "zero dimension") { try await store.createIndex(name: names.index("z"), dimension: 0) }
        var orphan = Fixture.document("t1", "d1", chunks: 1, seed: 2)
        orphan.chunks[0].documentID = "other"
        try await expectCode(.invalidArgument, "a chunk of another document") { try await store.upsert([orphan], into: index) }
        var notFinite = Fixture.document("t1", "d1", chunks: 1, seed: 3)
        notFinite.chunks[0].vector[0] = .nan
        try await expectCode(.invalidArgument, "a NaN in a vector") { try await store.upsert([notFinite], into: index) }
        #expect(try await store.listIndexes().first { $0.name == index }?.chunks == 0, "rejected batches leave nothing behind")
    }

    private func dimensionMismatch(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        try await expectCode(.dimensionMismatch, "re-create with another dimension") {
            try await store.createIndex(name: index, dimension: Self.dimension + 1)
        }
        let good = Fixture.document("t1", "good", chunks: 1, seed: 4)
        var bad = Fixture.document("t1", "bad", chunks: 2, seed: 5)
        bad.chunks[1].vector = Fixture.unitVector(seed: 6, dimension: Self.dimension - 1)
        try await expectCode(.dimensionMismatch, "upsert with a short vector") { try await store.upsert([good, bad], into: index) }
        #expect(try await store.contentHash(tenant: "t1", documentID: "good", in: index) == nil,
                "a batch with a bad document is rejected whole")
        try await expectCode(.dimensionMismatch, "query with a long vector") {
            _ = try await store.search(VectorQuery(vector: Fixture.unitVector(seed: 7, dimension: Self.dimension + 3), tenant: "t1", k: 3), in: index)
        }
    }

    private func unknownIndex(_ store: any VectorStore, _ names: Names) async throws {
        let missing = names.index("missing")
        try await expectCode(.unknownIndex, "upsert") { try await store.upsert([Fixture.document("t1", "d", chunks: 1, seed: 8)], into: missing) }
        try await expectCode(.unknownIndex, "search") {
            _ = try await store.search(VectorQuery(vector: Fixture.unitVector(seed: 9), tenant: "t1", k: 1), in: missing)
        }
        try await expectCode(.unknownIndex, "content hash") { _ = try await store.contentHash(tenant: "t1", documentID: "d", in: missing) }
        try await expectCode(.unknownIndex, "delete") { try await store.deleteDocument(tenant: "t1", documentID: "d", from: missing) }
        try await expectCode(.unknownIndex, "alias") { try await store.setAlias(names.alias("a"), to: missing) }
    }

    private func exactTopOne(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let documents = (0..<20).map { Fixture.document("t1", "doc-\($0)", chunks: 3, seed: UInt64(100 + $0)) }
        try await store.upsert(documents, into: index)
        for chunk in documents.flatMap(\.chunks) {
            let hits = try await store.search(VectorQuery(vector: chunk.vector, tenant: "t1", k: 5), in: index)
            #expect(hits.first.map { "\($0.documentID)#\($0.chunkIndex)" } == chunk.id)
            #expect(abs((hits.first?.score ?? 0) - 1) < 1e-3, "a stored vector scores its cosine with itself, 1")
            #expect(hits.first?.text == chunk.text && hits.first?.metadata == chunk.metadata)
            #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >), "best first")
            #expect(hits.count == 5)
        }
    }

    private func upsertReplacesStaleChunks(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let long = Fixture.document("t1", "d1", chunks: 4, seed: 20, text: "old")
        try await store.upsert([long, Fixture.document("t1", "d2", chunks: 2, seed: 21)], into: index)
        let short = Fixture.document("t1", "d1", chunks: 1, seed: 22, text: "new")
        try await store.upsert([short], into: index)
        #expect(try await store.listIndexes().first { $0.name == index } == IndexInfo(name: index, dimension: Self.dimension, chunks: 3, documents: 2))
        for stale in long.chunks {
            let hits = try await store.search(VectorQuery(vector: stale.vector, tenant: "t1", k: 10), in: index)
            #expect(hits.filter { $0.documentID == "d1" }.map(\.text) == ["new d1#0"], "only the new version's chunk remains")
        }
    }

    private func deleteDocument(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let gone = Fixture.document("t1", "gone", chunks: 3, seed: 30)
        try await store.upsert([gone, Fixture.document("t1", "kept", chunks: 2, seed: 31)], into: index)
        try await store.deleteDocument(tenant: "t1", documentID: "gone", from: index)
        try await store.deleteDocument(tenant: "t1", documentID: "never-there", from: index)
        #expect(try await store.contentHash(tenant: "t1", documentID: "gone", in: index) == nil)
        #expect(try await store.listIndexes().first { $0.name == index }.map { [$0.chunks, $0.documents] } == [2, 1])
        for chunk in gone.chunks {
            let hits = try await store.search(VectorQuery(vector: chunk.vector, tenant: "t1", k: 10), in: index)
            #expect(Set(hits.map(\.documentID)) == ["kept"])
        }
        try await store.upsert([gone], into: index)  // a deleted document can come back
        let back = try await store.search(VectorQuery(vector: gone.chunks[1].vector, tenant: "t1", k: 1), in: index)
        #expect(back.map { "\($0.documentID)#\($0.chunkIndex)" } == [gone.chunks[1].id])
    }

    private func contentHashRoundTrip(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        #expect(try await store.contentHash(tenant: "t1", documentID: "d1", in: index) == nil)
        var document = Fixture.document("t1", "d1", chunks: 2, seed: 40)
        document.contentHash = "sha256:aaa"
        try await store.upsert([document], into: index)
        #expect(try await store.contentHash(tenant: "t1", documentID: "d1", in: index) == "sha256:aaa")
        document.contentHash = "sha256:bbb"
        try await store.upsert([document], into: index)
        #expect(try await store.contentHash(tenant: "t1", documentID: "d1", in: index) == "sha256:bbb")
        #expect(try await store.contentHash(tenant: "t2", documentID: "d1", in: index) == nil, "hashes are per tenant")
    }

    private func idempotentReupsert(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let documents = (0..<6).map { Fixture.document("t1", "d\($0)", chunks: 1 + $0 % 3, seed: UInt64(50 + $0)) }
        let queries = (0..<5).map { VectorQuery(vector: Fixture.unitVector(seed: UInt64(60 + $0)), tenant: "t1", k: 8) }
        try await store.upsert(documents, into: index)
        let info = try await store.listIndexes().first { $0.name == index }
        var first: [[VectorHit]] = []
        for query in queries { first.append(try await store.search(query, in: index)) }
        try await store.upsert(documents, into: index)
        try await store.upsert(Array(documents.reversed()), into: index)
        #expect(try await store.listIndexes().first { $0.name == index } == info)
        for (query, before) in zip(queries, first) {
            let after = try await store.search(query, in: index)
            #expect(after.map { "\($0.documentID)#\($0.chunkIndex)" } == before.map { "\($0.documentID)#\($0.chunkIndex)" })
            #expect(zip(after, before).allSatisfy { abs($0.score - $1.score) < 1e-4 })
        }
    }

    private func tenantIsolation(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        // Same document ids, identical vectors, different text: only the text tells them apart.
        let acme = (0..<5).map { Fixture.document("acme", "d\($0)", chunks: 2, seed: UInt64(70 + $0), text: "acme") }
        let globex = (0..<5).map { Fixture.document("globex", "d\($0)", chunks: 2, seed: UInt64(70 + $0), text: "globex") }
        try await store.upsert(acme, into: index)
        try await store.upsert(globex, into: index)
        #expect(try await store.listIndexes().first { $0.name == index }.map { [$0.chunks, $0.documents] } == [20, 10])
        for chunk in acme.flatMap(\.chunks) {
            let hitsA = try await store.search(VectorQuery(vector: chunk.vector, tenant: "acme", k: 100), in: index)
            let hitsG = try await store.search(VectorQuery(vector: chunk.vector, tenant: "globex", k: 100), in: index)
            #expect(hitsA.count == 10 && hitsA.allSatisfy { $0.text.hasPrefix("acme ") }, "acme sees its 10 chunks and nothing else")
            #expect(hitsG.count == 10 && hitsG.allSatisfy { $0.text.hasPrefix("globex ") })
            let none = try await store.search(VectorQuery(vector: chunk.vector, tenant: "initech", k: 100), in: index)
            #expect(none.isEmpty)
        }
        try await store.deleteDocument(tenant: "acme", documentID: "d0", from: index)
        #expect(try await store.contentHash(tenant: "globex", documentID: "d0", in: index) != nil, "a delete is scoped to its tenant")
        let globexHits = try await store.search(VectorQuery(vector: acme[0].chunks[0].vector, tenant: "globex", k: 100), in: index)
        #expect(globexHits.count == 10 && globexHits.first?.documentID == "d0")
        let acmeHits = try await store.search(VectorQuery(vector: acme[0].chunks[0].vector, tenant: "acme", k: 100), in: index)
        #expect(acmeHits.count == 8 && !acmeHits.contains { $0.documentID == "d0" })
        #expect(try await store.listIndexes().first { $0.name == index }.map { [$0.chunks, $0.documents] } == [18, 9])
    }

    private func metadataFilters(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let documents: [DocumentVectors] = (0..<12).map { (n: Int) -> DocumentVectors in
            let metadata: [String: String] = ["lang": n % 3 == 0 ? "de" : "en", "section": n % 2 == 0 ? "faq" : "guide"]
            return Fixture.document("t1", "d\(n)", chunks: 2, seed: UInt64(80 + n), metadata: metadata)
        }
        try await store.upsert(documents, into: index)
        let exact = ExactVectorStore()
        try await exact.createIndex(name: "reference", dimension: Self.dimension)
        try await exact.upsert(documents, into: "reference")
        for filter in [["lang": "de"], ["lang": "en", "section": "faq"], ["section": "guide"]] {
            for seed in 0..<4 {
                let query = VectorQuery(vector: Fixture.unitVector(seed: UInt64(90 + seed)), tenant: "t1", k: 4, filter: filter)
                let hits = try await store.search(query, in: index)
                let expected = try await exact.search(query, in: "reference")
                #expect(hits.allSatisfy { $0.metadata.matches(filter) }, "every hit matches \(filter)")
                #expect(hits.map { "\($0.documentID)#\($0.chunkIndex)" } == expected.map { "\($0.documentID)#\($0.chunkIndex)" })
            }
        }
        let none = try await store.search(VectorQuery(vector: Fixture.unitVector(seed: 99), tenant: "t1", k: 4, filter: ["lang": "fr"]), in: index)
        #expect(none.isEmpty)
        let missingKey = try await store.search(VectorQuery(vector: Fixture.unitVector(seed: 99), tenant: "t1", k: 4, filter: ["owner": "x"]), in: index)
        #expect(missingKey.isEmpty, "a key the chunks lack matches nothing")
    }

    /// A filter that only a few chunks far from the query match: a store that over-fetches from an
    /// approximate index must still find them.
    private func selectiveFilter(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let query = Fixture.unitVector(seed: 200)
        var documents = (0..<300).map { n in
            // Most chunks sit close to the query; the rare ones are random.
            var document = Fixture.document("t1", "near-\(n)", chunks: 1, seed: UInt64(1000 + n), metadata: ["kind": "common"])
            document.chunks[0].vector = Fixture.perturbed(query, seed: UInt64(2000 + n), amount: 0.3)
            return document
        }
        documents += (0..<3).map { Fixture.document("t1", "rare-\($0)", chunks: 1, seed: UInt64(3000 + $0), metadata: ["kind": "rare"]) }
        try await store.upsert(documents, into: index)
        let hits = try await store.search(VectorQuery(vector: query, tenant: "t1", k: 5, filter: ["kind": "rare"]), in: index)
        #expect(Set(hits.map(\.documentID)) == ["rare-0", "rare-1", "rare-2"])
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
    }

    private func aliases(_ store: any VectorStore, _ names: Names) async throws {
        let v1 = try await names.created(store, "v1"), v2 = try await names.created(store, "v2")
        let alias = names.alias("docs"), other = names.alias("other")
        #expect(try await store.resolveAlias(alias) == nil)
        try await store.setAlias(alias, to: v1)
        try await store.setAlias(other, to: v1)
        #expect(try await store.resolveAlias(alias) == v1)
        try await store.setAlias(alias, to: v2)
        #expect(try await store.resolveAlias(alias) == v2, "an alias switches")
        #expect(try await store.aliases().filter { names.owns($0.key) } == [alias: v2, other: v1])
        try await expectCode(.unknownIndex, "alias to a missing index") { try await store.setAlias(alias, to: names.index("missing")) }
        #expect(try await store.resolveAlias(alias) == v2, "a failed switch leaves the alias where it was")
    }

    private func kLargerThanData(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        try await store.upsert([Fixture.document("t1", "d1", chunks: 2, seed: 110), Fixture.document("t1", "d2", chunks: 1, seed: 111)], into: index)
        try await store.upsert([Fixture.document("t2", "d1", chunks: 4, seed: 112)], into: index)
        let hits = try await store.search(VectorQuery(vector: Fixture.unitVector(seed: 113), tenant: "t1", k: 50), in: index)
        #expect(hits.count == 3, "all of the tenant's chunks, no more, no padding")
        #expect(Set(hits.map { "\($0.documentID)#\($0.chunkIndex)" }) == ["d1#0", "d1#1", "d2#0"])
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
    }

    private func emptyResults(_ store: any VectorStore, _ names: Names) async throws {
        let index = try await names.created(store, "i")
        let query = VectorQuery(vector: Fixture.unitVector(seed: 120), tenant: "t1", k: 5)
        #expect(try await store.search(query, in: index).isEmpty, "an empty index answers with no hits")
        try await store.upsert([Fixture.document("t1", "d1", chunks: 2, seed: 121)], into: index)
        try await store.deleteDocument(tenant: "t1", documentID: "d1", from: index)
        #expect(try await store.search(query, in: index).isEmpty, "and so does one whose documents were all deleted")
        var zero = query
        zero.k = 0
        #expect(try await store.search(zero, in: index).isEmpty)
    }

    private func persistenceAfterReopen(_ subject: Subject, _ names: Names) async throws -> any VectorStore {
        let store = subject.store
        guard let reopen = subject.reopen else { return store }  // this store keeps nothing
        let index = try await names.created(store, "i"), small = names.index("small")
        try await store.createIndex(name: small, dimension: 4)
        let documents = (0..<10).map { Fixture.document("t\($0 % 2)", "d\($0)", chunks: 2, seed: UInt64(130 + $0)) }
        try await store.upsert(documents, into: index)
        try await store.upsert([Fixture.document("t0", "d0", chunks: 1, seed: 150, text: "replaced")], into: index)
        try await store.deleteDocument(tenant: "t1", documentID: "d1", from: index)
        let alias = names.alias("docs")
        try await store.setAlias(alias, to: index)
        let before = try await store.listIndexes().filter { names.owns($0.name) }

        let reopened = try await reopen(store)
        #expect(try await reopened.listIndexes().filter { names.owns($0.name) } == before)
        #expect(try await reopened.resolveAlias(alias) == index)
        #expect(try await reopened.contentHash(tenant: "t1", documentID: "d1", in: index) == nil)
        #expect(try await reopened.contentHash(tenant: "t1", documentID: "d3", in: index) == documents[3].contentHash)
        for document in documents where document.documentID != "d0" && document.documentID != "d1" {
            for chunk in document.chunks {
                let hits = try await reopened.search(VectorQuery(vector: chunk.vector, tenant: document.tenant, k: 1), in: index)
                #expect(hits.map { "\($0.documentID)#\($0.chunkIndex)" } == [chunk.id])
            }
        }
        let replaced = try await reopened.search(VectorQuery(vector: documents[0].chunks[1].vector, tenant: "t0", k: 20), in: index)
        #expect(replaced.filter { $0.documentID == "d0" }.map(\.text) == ["replaced d0#0"])
        // The reopened store keeps working.
        try await reopened.upsert([Fixture.document("t1", "d1", chunks: 1, seed: 160)], into: index)
        #expect(try await reopened.contentHash(tenant: "t1", documentID: "d1", in: index) != nil)
        return reopened
    }

    // MARK: - Support

    private func expectCode(_ code: VectorStoreError.Code, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () async throws -> Void) async throws {
        do {
            try await body()
            Issue.record("\(what): expected a \(code.rawValue) error, got success", sourceLocation: sourceLocation)
        } catch let error as VectorStoreError {
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
        }
    }

    private static func drop(_ names: Names, in store: any VectorStore) async {
        for index in names.createdIndexes { try? await store.dropIndex(name: index) }
    }
}

/// Names unique to one check run, so checks can share a server.
final class Names: @unchecked Sendable {
    let prefix = "conf-" + UUID().uuidString.prefix(8).lowercased()
    private(set) var createdIndexes: [String] = []

    func index(_ suffix: String) -> String {
        let name = "\(prefix)-\(suffix)"
        createdIndexes.append(name)
        return name
    }

    func alias(_ suffix: String) -> String { "\(prefix)-alias-\(suffix)" }

    func owns(_ name: String) -> Bool { name.hasPrefix(prefix) }

    func created(_ store: any VectorStore, _ suffix: String, dimension: Int = VectorStoreConformance.dimension) async throws -> String {
        let name = index(suffix)
        try await store.createIndex(name: name, dimension: dimension)
        return name
    }
}

/// Deterministic test documents: seeded unit vectors, texts that name their chunk.
enum Fixture {
    static func document(_ tenant: String, _ documentID: String, chunks: Int, seed: UInt64, text: String = "chunk",
                         metadata: [String: String] = [:], dimension: Int = VectorStoreConformance.dimension) -> DocumentVectors {
        let records = (0..<chunks).map { n in
            VectorRecord(tenant: tenant, documentID: documentID, chunkIndex: n, text: "\(text) \(documentID)#\(n)",
                         metadata: metadata.merging(["position": "\(n)"]) { a, _ in a },
                         vector: unitVector(seed: seed &* 1000 &+ UInt64(n), dimension: dimension))
        }
        return DocumentVectors(tenant: tenant, documentID: documentID, contentHash: "hash-\(seed)-\(chunks)", chunks: records)
    }

    static func unitVector(seed: UInt64, dimension: Int = VectorStoreConformance.dimension) -> [Float] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        let raw = (0..<dimension).map { _ in Float(next(&state) >> 11) / Float(1 << 53) * 2 - 1 }
        return normalised(raw)
    }

    static func perturbed(_ vector: [Float], seed: UInt64, amount: Float) -> [Float] {
        let noise = unitVector(seed: seed, dimension: vector.count)
        return normalised(zip(vector, noise).map { $0 + amount * $1 })
    }

    static func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    /// SplitMix64.
    private static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Dictionary where Key == String, Value == String {
    func matches(_ filter: [String: String]) -> Bool { filter.allSatisfy { self[$0.key] == $0.value } }
}
