import Foundation
import Kafka
import Switchboard
import Testing
import VectorStores

/// The embedding service and the retriever end to end: documents in through Kafka, grounded
/// answers out, on the dev Kafka, the real MiniLM model and a real vector store.
@Suite("Ingestion and retrieval end to end", .serialized, .timeLimit(.minutes(10)))
struct RetrievalPipelineTests {
    static let queryIDs = ["faq-design-003", "faq-programming-010", "faq-library-005"]

    func ask(_ pipeline: PipelineHarness, reader: ReplyReader, question: String, collection: String, key: String = PipelineHarness.devKey,
             topK: Int = 5, filter: JSONValue? = nil) async throws -> Reply {
        let id = UUID().uuidString.lowercased()
        let request = ChatRequest(model: "sim-small", messages: [ChatMessage(role: "user", content: question)], maxTokens: 32,
                                  retrieval: RetrievalRequest(collection: collection, topK: topK, filter: filter))
        _ = try await pipeline.producer.send(RequestEvents.make(request, apiKey: key, topic: pipeline.config.topics.requests, requestID: id))
        let arrival = try await reader.wait(for: id, timeout: .seconds(60))
        #expect(pipeline.contractViolations(arrival.record, contract: "llm.results.v1") == [])
        return try #require(arrival.record.decoded(Reply.self))
    }

    @Test("documents go in through Kafka with acks, unchanged ones are skipped, and a FAQ question is answered with its passage as a source",
          arguments: TestStores.Kind.allCases)
    func ingestAndAnswer(_ kind: TestStores.Kind) async throws {
        let sample = try FAQSample.load(queryIDs: Self.queryIDs, distractors: 40)
        let store = try await TestStores.make(kind)
        let pipeline = try await PipelineHarness.start(roles: [.gateway, .router, .retriever, .completer, .embedder], vectorStore: store)
        let acks = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: pipeline.config.topics.indexed, logger: pipeline.logger)
        let replies = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: pipeline.config.topics.results, logger: pipeline.logger)
        let job = IngestJob(tenant: "acme", collection: "pydocs", topic: pipeline.config.topics.ingest)
        let items = sample.documents.map(DocumentSource.Item.document) + [.unreadable(id: "broken.bin", reason: "not UTF-8 text")]

        let first = try await job.run(items, producer: pipeline.producer, acks: acks)
        #expect(first.indexed == sample.documents.count)
        #expect(first.chunks > sample.documents.count)
        #expect(first.failures.map(\.id) == ["broken.bin"])
        #expect(first.versions == ["pydocs--minilm-c512-o32--v1"])

        let second = try await job.run(items, producer: pipeline.producer, acks: acks)
        #expect(second.unchanged == sample.documents.count && second.indexed == 0)

        for query in sample.queries {
            let reply = try await ask(pipeline, reader: replies, question: query.text, collection: "pydocs")
            #expect(reply.status == .ok)
            let retrieval = try #require(reply.retrieval)
            #expect(retrieval.indexVersion == "pydocs--minilm-c512-o32--v1")
            #expect(retrieval.sources.count == 5)
            #expect(!query.relevant.isDisjoint(with: retrieval.sources.prefix(3).map(\.documentID)),
                    "\(query.id): \(retrieval.sources.map(\.documentID)) should lead with one of \(query.relevant)")
            #expect(retrieval.sources.map(\.score) == retrieval.sources.map(\.score).sorted(by: >))
        }
        await acks.close()
        await replies.close()
        await pipeline.stop()
        try await store.close()
    }

    @Test("a tenant never retrieves another tenant's chunks, even for the same collection name and document ids",
          arguments: TestStores.Kind.allCases)
    func tenantIsolation(_ kind: TestStores.Kind) async throws {
        let store = try await TestStores.make(kind)
        let pipeline = try await PipelineHarness.start(roles: [.gateway, .router, .retriever, .completer, .embedder], vectorStore: store)
        let acks = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: pipeline.config.topics.indexed, logger: pipeline.logger)
        let replies = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: pipeline.config.topics.results, logger: pipeline.logger)
        let acme = [IngestDocument(id: "plan.md", title: "Acme plan", text: "Acme's secret launch date for the rocket sled is the ninth of March."),
                    IngestDocument(id: "acme-only.md", title: "Acme cafeteria", text: "The Acme cafeteria serves soup on Fridays.")]
        let globex = [IngestDocument(id: "plan.md", title: "Globex plan", text: "Globex will open a new office in Lisbon next spring.")]
        _ = try await IngestJob(tenant: "acme", collection: "shared", topic: pipeline.config.topics.ingest)
            .run(acme.map(DocumentSource.Item.document), producer: pipeline.producer, acks: acks)
        let g = try await IngestJob(tenant: "globex", collection: "shared", topic: pipeline.config.topics.ingest)
            .run(globex.map(DocumentSource.Item.document), producer: pipeline.producer, acks: acks)
        #expect(g.indexed == 1)

        // Globex asks Acme's question word for word: only its own document may come back.
        let reply = try await ask(pipeline, reader: replies, question: "When is Acme's secret launch date for the rocket sled?",
                                  collection: "shared", key: PipelineHarness.secondKey, topK: 10)
        #expect(reply.status == .ok)
        #expect(reply.retrieval?.sources.map(\.documentID) == ["plan.md"])
        #expect(reply.retrieval?.sources.first?.title == "Globex plan")
        let own = try await ask(pipeline, reader: replies, question: "When is Acme's secret launch date for the rocket sled?",
                                collection: "shared", topK: 10)
        #expect(Set(own.retrieval?.sources.map(\.documentID) ?? []) == ["plan.md", "acme-only.md"])
        #expect(own.retrieval?.sources.first?.title == "Acme plan")
        await acks.close()
        await replies.close()
        await pipeline.stop()
        try await store.close()
    }

    @Test("deletes, filters that match nothing, unknown collections and bad ingest records each get a clear outcome")
    func deletesAndBadInput() async throws {
        let (store, _) = try await TestStores.embedded()
        let pipeline = try await PipelineHarness.start(roles: [.gateway, .router, .retriever, .completer, .embedder], vectorStore: store)
        let topics = pipeline.config.topics
        let acks = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: topics.indexed, logger: pipeline.logger)
        let replies = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: topics.results, logger: pipeline.logger)
        let docs = [IngestDocument(id: "a.md", text: "Kettles boil water quickly.", metadata: ["lang": "en"]),
                    IngestDocument(id: "b.md", text: "Teapots keep tea warm.", metadata: ["lang": "en"])]
        _ = try await IngestJob(tenant: "acme", collection: "kitchen", topic: topics.ingest)
            .run(docs.map(DocumentSource.Item.document), producer: pipeline.producer, acks: acks)

        func send(_ key: String, _ value: [UInt8]?) async throws -> IndexedAck {
            let id = UUID().uuidString
            _ = try await pipeline.producer.send(KafkaOutgoingRecord(topic: topics.ingest, key: Array(key.utf8), value: value,
                                                                     headers: EventHeaders.make(type: IngestEvents.ingestType, id: id)))
            return try #require(try await acks.wait(for: id, timeout: .seconds(60)).record.decoded(IndexedAck.self))
        }
        #expect(try await send("acme/kitchen/a.md", nil).status == .deleted)
        let bad = try await send("acme/kitchen/c.md", Array("{not json".utf8))
        #expect(bad.status == .failed && bad.error?.contains("docs.ingest.v1") == true)
        let mismatch = try await send("acme/kitchen/c.md", EventCoding.encode(IngestDocument(id: "other.md", text: "x")))
        #expect(mismatch.status == .failed && mismatch.error?.contains("differs") == true)
        #expect(try await send("no-slashes", EventCoding.encode(IngestDocument(id: "x", text: "x"))).status == .failed)
        let dead = try await pipeline.readAll(topics.deadLetter, atLeast: 3, settle: .milliseconds(500))
        #expect(Set(dead.compactMap { $0.header(DeadLetterHeader.reason) }) == ["schema", "id_mismatch", "invalid_key"])

        let afterDelete = try await ask(pipeline, reader: replies, question: "How fast do kettles boil water?", collection: "kitchen")
        #expect(afterDelete.retrieval?.sources.map(\.documentID) == ["b.md"])
        let nothing = try await ask(pipeline, reader: replies, question: "Kettles?", collection: "kitchen", filter: .object(["lang": .string("fr")]))
        #expect(nothing.status == .ok)
        #expect(nothing.retrieval?.sources == [])
        let unknown = try await ask(pipeline, reader: replies, question: "Kettles?", collection: "garage")
        #expect(unknown.status == .error && unknown.error?.code == .invalidRequest)
        #expect(unknown.error?.message.contains("garage") == true)
        await acks.close()
        await replies.close()
        await pipeline.stop()
        try await store.close()
    }

    @Test("re-indexing with new chunker settings while questions keep coming: no error, no empty answer, then the switch")
    func reindexUnderQueries() async throws {
        let sample = try FAQSample.load(queryIDs: Self.queryIDs, distractors: 30)
        let (store, _) = try await TestStores.embedded()
        let pipeline = try await PipelineHarness.start(roles: [.gateway, .router, .retriever, .completer, .embedder], vectorStore: store)
        let topics = pipeline.config.topics
        let acks = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: topics.indexed, logger: pipeline.logger)
        let replies = try await ReplyReader(configuration: pipeline.runtime.consumerConfiguration, topic: topics.results, logger: pipeline.logger)
        let job = IngestJob(tenant: "acme", collection: "pydocs", topic: topics.ingest)
        _ = try await job.run(sample.documents.map(DocumentSource.Item.document), producer: pipeline.producer, acks: acks)

        var settings = pipeline.config.embeddings
        settings.chunker = ChunkerSettings(maxTokens: 128, overlapTokens: 16)
        let embedder = try SharedEmbedder.get()
        let tokenizer = embedder.tokenizer
        let directory = CollectionDirectory(store: store, settings: settings, dimension: embedder.dimension)
        let indexer = DocumentIndexer(store: store, embedder: embedder, countTokens: { tokenizer.countTokens($0) })
        let reindex = try await ReindexJob.start(collection: "pydocs", directory: directory, indexer: indexer, serializer: KeyedSerializer(),
                                                 consumer: pipeline.runtime.consumerConfiguration, topic: topics.ingest, logger: pipeline.logger)
        #expect(reindex.current.to == "pydocs--minilm-c128-o16--v2")
        // A document that arrives during the re-index must be in the new version too.
        let late = IngestDocument(id: "late.md", text: "Late arrivals are indexed into every version being built.")
        _ = try await job.run([.document(late)], producer: pipeline.producer, acks: acks)

        var versions: [String] = []
        var asked = 0
        while reindex.current.state == .running || asked < 3 || versions.last != reindex.current.to {
            let query = sample.queries[asked % sample.queries.count]
            let reply = try await ask(pipeline, reader: replies, question: query.text, collection: "pydocs")
            #expect(reply.status == .ok, "\(reply.error?.message ?? "")")
            #expect(reply.retrieval?.sources.isEmpty == false)
            versions.append(reply.retrieval?.indexVersion ?? "")
            asked += 1
            if reindex.current.state != .running { try #require(asked < 200) }
        }
        #expect(reindex.current.state == .done)
        #expect(reindex.current.failed == 0)
        #expect(Set(versions).isSubset(of: ["pydocs--minilm-c512-o32--v1", "pydocs--minilm-c128-o16--v2"]))
        #expect(try await store.resolveAlias("pydocs") == "pydocs--minilm-c128-o16--v2")
        #expect(try await store.contentHash(tenant: "acme", documentID: "late.md", in: "pydocs--minilm-c128-o16--v2") != nil)
        let indexes = try await store.listIndexes()
        let v2 = try #require(indexes.first { $0.name == "pydocs--minilm-c128-o16--v2" })
        #expect(v2.documents == sample.documents.count + 1)
        await acks.close()
        await replies.close()
        await pipeline.stop()
        try await store.close()
    }
}
