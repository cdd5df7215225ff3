import Embeddings
import Foundation
import Testing

@Suite("WordPiece tokenizer")
struct TokenizerTests {
    let data: ReferenceData
    let tokenizer: WordPieceTokenizer

    init() throws {
        data = try reference.get()
        tokenizer = try sharedEmbedder.get().tokenizer
    }

    @Test("token ids match tokens.jsonl for all 200 reference inputs")
    func referenceIDs() {
        var mismatches: [String] = []
        for (input, expected) in zip(data.inputs, data.tokens) {
            let ids = tokenizer.encode(input.text)
            if ids != expected.input_ids {
                mismatches.append("\(input.id): got \(ids.prefix(24)) expected \(expected.input_ids.prefix(24))")
            }
        }
        #expect(data.inputs.count == 200)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
    }

    @Test("countTokens equals the untruncated length, [CLS] and [SEP] included")
    func untruncatedCounts() {
        for (input, expected) in zip(data.inputs, data.tokens) {
            #expect(tokenizer.countTokens(input.text) == expected.n_tokens_untruncated, "\(input.id)")
        }
    }

    @Test("pieces carry the reference token strings")
    func pieceTokens() {
        for (input, expected) in zip(data.inputs, data.tokens) where !expected.truncated {
            let pieces = tokenizer.pieces(input.text).map(\.token)
            #expect(pieces == Array(expected.tokens.dropFirst().dropLast()), "\(input.id)")
        }
    }

    @Test("pieces map back to the original text")
    func pieceRanges() {
        let text = "Café au lait, s'il vous plaît! Tokenization 東京"
        let pieces = tokenizer.pieces(text)
        let covered = pieces.map { String(text[$0.range]) }
        #expect(pieces.map(\.token) == ["cafe", "au", "lai", "##t", ",", "s", "'", "il", "vo", "##us",
                                        "pl", "##ai", "##t", "!", "token", "##ization", "東", "京"])
        // The stripped accent stays inside its piece: "aî" for "##ai".
        #expect(covered == ["Café", "au", "lai", "t", ",", "s", "'", "il", "vo", "us",
                            "pl", "aî", "t", "!", "Token", "ization", "東", "京"])
        // An [UNK] covers its whole word.
        let unknown = tokenizer.pieces("x 🍕🍕 y")
        #expect(unknown.map(\.token) == ["x", "[UNK]", "y"])
        #expect(String("x 🍕🍕 y"[unknown[1].range]) == "🍕🍕")
    }

    @Test("piece ranges of every reference input are non-empty and in order")
    func orderedRanges() {
        for input in data.inputs {
            var previous = input.text.startIndex
            for piece in tokenizer.pieces(input.text) {
                // Non-decreasing, not disjoint: a Hangul syllable decomposes
                // into jamo that may land in different pieces sharing it.
                #expect(piece.range.lowerBound >= previous, "\(input.id): \(piece.token)")
                #expect(!piece.range.isEmpty, "\(input.id): \(piece.token)")
                previous = piece.range.lowerBound
            }
        }
    }

    @Test("truncation keeps [CLS] + first maxLength-2 pieces + [SEP]")
    func truncation() {
        let text = String(repeating: "word ", count: 300)
        let ids = tokenizer.encode(text, maxLength: 10)
        #expect(ids.count == 10)
        #expect(ids.first == tokenizer.clsID && ids.last == tokenizer.sepID)
        #expect(tokenizer.encode(text).count == 256)
        #expect(tokenizer.countTokens(text) == 302)
        #expect(tokenizer.encode("") == [tokenizer.clsID, tokenizer.sepID])
        #expect(tokenizer.encode(" \t\n ") == [tokenizer.clsID, tokenizer.sepID])
    }

    @Test("a vocabulary without [UNK] is rejected")
    func invalidVocabulary() {
        #expect {
            _ = try WordPieceTokenizer(tokens: ["[CLS]", "[SEP]", "a"])
        } throws: { ($0 as? EmbeddingError)?.code == .invalidVocabulary }
        #expect {
            _ = try WordPieceTokenizer(vocabularyURL: URL(fileURLWithPath: "/nonexistent/vocab.txt"))
        } throws: { ($0 as? EmbeddingError)?.code == .modelNotFound }
    }
}
