import Embeddings
import Foundation
import Switchboard
import Testing

/// The chunker with the model's real tokenizer (installed by ops/install-model).
@Suite("Document chunking")
struct DocumentChunkerTests {
    let tokenizer: WordPieceTokenizer

    init() throws {
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        let vocabulary = URL(fileURLWithPath: root + "/" + ModelLocation.relativeDirectory + "/" + ModelLocation.vocabularyFile)
        tokenizer = try WordPieceTokenizer(vocabularyURL: vocabulary)
    }

    func chunker(_ maxTokens: Int, overlap: Int = 16) -> DocumentChunker {
        let tokenizer = self.tokenizer
        return DocumentChunker(settings: ChunkerSettings(maxTokens: maxTokens, overlapTokens: overlap)) { tokenizer.countTokens($0) }
    }

    /// A Markdown document from the shared licence-text benchmark passages, with headings.
    func document() throws -> String {
        let root = #filePath.components(separatedBy: "/Tests/")[0]
        let lines = try String(contentsOfFile: root + "/../shared/data/embed-bench/passages.jsonl", encoding: .utf8)
            .split(separator: "\n").prefix(6)
        let texts = try lines.map { line -> String in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["text"] as? String ?? ""
        }
        return "# Licences\n\nIntroductory words.\n\n## First part\n\n\(texts[0])\n\n\(texts[1])\n\n### Detail\n\n\(texts[2])\n\n## Second part\n\n\(texts[3]) \(texts[4]) \(texts[5])\n"
    }

    @Test("every chunk fits the token budget, sits at its offsets, and carries its heading path and hash")
    func budgetsOffsetsHeadings() throws {
        let text = try document()
        let scalars = Array(text.unicodeScalars)
        let chunks = chunker(128).chunk(documentID: "doc-1", text: text)
        #expect(chunks.count > 6)
        for chunk in chunks {
            #expect(chunk.tokenCount <= 128, "chunk \(chunk.index) has \(chunk.tokenCount) tokens")
            #expect(chunk.tokenCount == tokenizer.countTokens(chunk.text))
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[chunk.start..<chunk.end])
            #expect(String(view) == chunk.text)
            #expect(chunk.documentID == "doc-1")
            #expect(chunk.contentHash.count == 64)
        }
        #expect(chunks.map(\.index) == Array(0..<chunks.count))
        #expect(chunks.first?.headingPath == ["Licences"])
        #expect(chunks.contains { $0.headingPath == ["Licences", "First part", "Detail"] })
        #expect(chunks.last?.headingPath == ["Licences", "Second part"])
        // In order, and nothing of the text is left out.
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.start <= $1.start && $0.end <= $1.end })
        var covered = [Bool](repeating: false, count: scalars.count)
        for chunk in chunks { for i in chunk.start..<chunk.end { covered[i] = true } }
        #expect(scalars.indices.allSatisfy { covered[$0] || scalars[$0].properties.isWhitespace })
    }

    @Test("a section split into several chunks repeats a little of the previous chunk")
    func overlap() throws {
        let chunks = chunker(64, overlap: 24).chunk(documentID: "d", text: try document())
        let split = zip(chunks, chunks.dropFirst()).filter { $0.headingPath == $1.headingPath }
        #expect(!split.isEmpty)
        #expect(split.contains { $1.start < $0.end })
        #expect(split.allSatisfy { $1.start >= $0.start })
    }

    @Test("a short text is one chunk; the same text has the same hash; plain text has no headings")
    func shortAndPlain() {
        let one = chunker(128).chunk(documentID: "a", text: "# Title\n\nHello world.", markdown: true)
        #expect(one.count == 1 && one[0].headingPath == ["Title"])
        let plain = chunker(128).chunk(documentID: "b", text: "# Not a heading here\n\nHello world.", markdown: false)
        #expect(plain.count == 1 && plain[0].headingPath.isEmpty)
        let again = chunker(128).chunk(documentID: "c", text: "# Title\n\nHello world.")
        #expect(again[0].contentHash == one[0].contentHash)
        #expect(chunker(128).chunk(documentID: "e", text: "   \n\n  ").isEmpty)
    }
}
