import Foundation
import Switchboard
import Synchronization
import Testing

@Suite("Index versions, ingest keys, sources and evaluation")
struct IndexingUnitTests {
    @Test("an index version's name carries its model and chunker settings and parses back")
    func versionNames() throws {
        var settings = EmbeddingSettings()
        settings.chunker = ChunkerSettings(maxTokens: 128, overlapTokens: 16)
        settings.embedTitle = true
        let version = IndexVersion(collection: "python-docs", settings: settings, sequence: 3)
        #expect(version.name == "python-docs--minilm-c128-o16-t--v3")
        let parsed = try #require(IndexVersion(name: version.name))
        #expect(parsed == version)
        #expect(IndexVersion(name: "python-docs") == nil)
        #expect(IndexVersion(name: "a--minilm-c128--v1") == nil)
        #expect(IndexVersion(name: "a--minilm-c128-o16--vx") == nil)
    }

    @Test("ingest keys split at the first two slashes; document ids keep theirs")
    func ingestKeys() throws {
        let key = try #require(IngestKey("acme/handbook/guides/setup.md"))
        #expect(key.tenant == "acme" && key.collection == "handbook" && key.documentID == "guides/setup.md")
        #expect(key.string == "acme/handbook/guides/setup.md")
        #expect(IngestKey("acme/handbook") == nil)
        #expect(IngestKey("acme//doc") == nil)
        #expect(IngestKey.isValidName("python-docs_2.1"))
        #expect(!IngestKey.isValidName("a/b") && !IngestKey.isValidName("") && !IngestKey.isValidName("drop table"))
    }

    @Test("the content hash changes with the text, the metadata and the version's settings, not with metadata order")
    func contentHash() {
        let v1 = IndexVersion(collection: "c", settings: EmbeddingSettings(), sequence: 1)
        var other = EmbeddingSettings()
        other.chunker = ChunkerSettings(maxTokens: 128, overlapTokens: 16)
        let v2 = IndexVersion(collection: "c", settings: other, sequence: 2)
        let doc = IngestDocument(id: "d", title: "T", text: "hello", metadata: ["a": "1", "b": "2"])
        let reordered = IngestDocument(id: "d", title: "T", text: "hello", metadata: ["b": "2", "a": "1"])
        var edited = doc
        edited.text = "hello!"
        var retagged = doc
        retagged.metadata = ["a": "1", "b": "3"]
        let base = DocumentIndexer.contentHash(doc, version: v1)
        #expect(base == DocumentIndexer.contentHash(reordered, version: v1))
        #expect(base != DocumentIndexer.contentHash(edited, version: v1))
        #expect(base != DocumentIndexer.contentHash(retagged, version: v1))
        #expect(base != DocumentIndexer.contentHash(doc, version: v2))
    }

    @Test("a directory source: ids are relative paths, Markdown titles come from the first heading, binary files are reported")
    func directorySource() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sb-src-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("guides"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "# Setup\n\nInstall it.".write(to: root.appendingPathComponent("guides/setup.md"), atomically: true, encoding: .utf8)
        try "plain words".write(to: root.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try Data([0xff, 0xfe, 0x00, 0x01]).write(to: root.appendingPathComponent("image.bin"))
        try "hidden".write(to: root.appendingPathComponent(".secret"), atomically: true, encoding: .utf8)
        let items = try DocumentSource.load(path: root.path)
        var documents: [String: IngestDocument] = [:]
        var failures: [String: String] = [:]
        for item in items {
            switch item {
            case .document(let d): documents[d.id] = d
            case .unreadable(let id, let reason): failures[id] = reason
            }
        }
        #expect(Set(documents.keys) == ["guides/setup.md", "notes.txt"])
        #expect(documents["guides/setup.md"]?.title == "Setup")
        #expect(documents["guides/setup.md"]?.format == .markdown)
        #expect(documents["notes.txt"]?.format == .text)
        #expect(failures["image.bin"]?.contains("UTF-8") == true)
    }

    @Test("a JSON Lines source reports bad lines by number and keeps the rest")
    func jsonLinesSource() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sb-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        {"id": "a", "title": "A", "text": "first", "metadata": {"lang": "en"}}
        not json
        {"_id": "b", "text": "second"}

        {"id": "c"}
        """.write(to: file, atomically: true, encoding: .utf8)
        let items = try DocumentSource.load(path: file.path)
        #expect(items.count == 4)
        guard case .document(let a) = items[0], case .unreadable(let bad, _) = items[1], case .document(let b) = items[2],
              case .unreadable(let c, let reason) = items[3] else {
            Issue.record("unexpected items: \(items)")
            return
        }
        #expect(a.id == "a" && a.metadata == ["lang": "en"] && a.title == "A")
        #expect(bad == "line 2")
        #expect(b.id == "b" && b.text == "second")
        #expect(c == "c" && reason.contains("text"))
        #expect(throws: DocumentSourceError.self) { try DocumentSource.load(path: "/nonexistent/\(UUID().uuidString)") }
    }

    @Test("document-level metrics: best chunk ranks the document, recall, MRR and nDCG by their definitions")
    func evaluationMetrics() {
        let ranking = RetrievalEvaluation.documents(fromRankedChunks: ["d3", "d1", "d3", "d2", "d1"])
        #expect(ranking == ["d3", "d1", "d2"])
        let qrels = ["q1": ["d1": 1], "q2": ["d9": 1, "d2": 1], "q3": ["d4": 1]]
        let scores = RetrievalEvaluation.score(
            ranked: ["q1": ranking, "q2": ["d2", "d5", "d9"], "q3": ["d7"]], qrels: qrels)
        #expect(scores.queries == 3)
        #expect(abs(scores.recall[1]! - (0 + 0.5 + 0) / 3) < 1e-9)
        #expect(abs(scores.recall[5]! - (1 + 1 + 0) / 3) < 1e-9)
        #expect(abs(scores.mrr10 - (0.5 + 1 + 0) / 3) < 1e-9)
        let q1 = (1 / log2(3.0)) / 1
        let q2 = (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0))
        #expect(abs(scores.ndcg10 - (q1 + q2 + 0) / 3) < 1e-9)
    }

    @Test("the retrieval prompt numbers the sources after the caller's system messages and says so plainly when nothing matched")
    func retrievalPrompt() {
        let messages = [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "how?")]
        let text = RetrievalPrompt.systemMessage(collection: "docs", hits: [], maxChars: 100)
        #expect(text.contains("No passage"))
        let injected = RetrievalPrompt.inject("SOURCES", into: messages)
        #expect(injected.map(\.content) == ["be brief", "SOURCES", "how?"])
        #expect(RetrievalPrompt.query(of: injected) == "how?")
    }

    @Test("the keyed serializer runs one body per key at a time and skips versions older than one applied")
    func keyedSerializer() async throws {
        final class Overlap: Sendable {
            let state = Mutex((active: 0, peak: 0))
        }
        let serializer = KeyedSerializer()
        let overlap = Overlap()
        await withTaskGroup(of: Void.self) { group in
            for offset in 0..<20 {
                group.addTask {
                    _ = await serializer.run(key: "k", offset: Int64(offset)) {
                        overlap.state.withLock { $0.active += 1; $0.peak = max($0.peak, $0.active) }
                        try? await Task.sleep(for: .milliseconds(1))
                        overlap.state.withLock { $0.active -= 1 }
                    }
                }
            }
        }
        #expect(overlap.state.withLock { $0.peak } == 1)
        let newer = await serializer.run(key: "x", offset: 10) { "applied 10" }
        let older = await serializer.run(key: "x", offset: 5) { "applied 5" }
        #expect(newer == "applied 10")
        #expect(older == nil)
    }
}
