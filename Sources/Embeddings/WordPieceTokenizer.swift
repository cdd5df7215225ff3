import Foundation

/// One word piece of a text, with where it came from.
public struct WordPiece: Sendable, Equatable {
    /// Vocabulary id.
    public let id: Int32
    /// The vocabulary entry, e.g. `"token"`, `"##ization"` or `"[UNK]"`.
    public let token: String
    /// The part of the original text this piece covers. Pieces of one word
    /// cover consecutive parts of it; an `[UNK]` covers its whole word.
    /// Characters removed by normalisation (accents, zero-width and control
    /// characters) belong to a piece only when inside its span. Pieces made
    /// from one source character (a Hangul syllable decomposes into jamo
    /// that may fall into different pieces) share that character's range.
    public let range: Range<String.Index>
}

/// The BERT uncased WordPiece tokenizer of all-MiniLM-L6-v2.
///
/// Matches the Hugging Face `BertTokenizer` used by sentence-transformers:
/// clean text, pad CJK ideographs, NFD and drop non-spacing marks, lower-case,
/// split on whitespace and punctuation, then greedy longest-match WordPiece with
/// `##` continuations; a word of more than 100 scalars, or one that cannot be
/// covered by the vocabulary, becomes a single `[UNK]`.
public struct WordPieceTokenizer: Sendable {
    /// The model's maximum sequence length, `[CLS]` and `[SEP]` included.
    public static let defaultMaxLength = 256
    /// Words longer than this many Unicode scalars become `[UNK]`.
    public static let maxWordScalars = 100

    /// Id of `[CLS]`, put in front of every sequence.
    public let clsID: Int32
    /// Id of `[SEP]`, put at the end of every sequence.
    public let sepID: Int32
    /// Id of `[UNK]`.
    public let unknownID: Int32
    private let vocabulary: WordPieceVocabulary
    /// Longest vocabulary entry in UTF-8 bytes: longer candidates cannot match.
    private let maxPieceBytes: Int

    /// Loads the vocabulary from a `vocab.txt` file (one token per line).
    public init(vocabularyURL: URL) throws {
        try self.init(vocabulary: WordPieceVocabulary(contentsOf: vocabularyURL))
    }

    /// Builds a tokenizer from token strings, id = position.
    public init(tokens: [String]) throws {
        try self.init(vocabulary: WordPieceVocabulary(tokens: tokens))
    }

    private init(vocabulary: WordPieceVocabulary) throws {
        self.vocabulary = vocabulary
        // The vocabulary initialiser has checked that the special tokens exist.
        clsID = vocabulary.id(of: "[CLS]") ?? 0
        sepID = vocabulary.id(of: "[SEP]") ?? 0
        unknownID = vocabulary.id(of: "[UNK]") ?? 0
        maxPieceBytes = vocabulary.tokens.reduce(0) { max($0, $1.utf8.count) }
    }

    /// Number of entries in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    /// The vocabulary entry for `id`, or nil when out of range.
    public func token(for id: Int32) -> String? {
        vocabulary.tokens.indices.contains(Int(id)) ? vocabulary.tokens[Int(id)] : nil
    }

    /// Token ids as fed to the model: `[CLS]`, at most `maxLength - 2` word
    /// pieces (later ones are cut off), `[SEP]`.
    public func encode(_ text: String, maxLength: Int = WordPieceTokenizer.defaultMaxLength) -> [Int32] {
        let limit = max(0, maxLength - 2)
        var ids: [Int32] = [clsID]
        ids.reserveCapacity(min(limit, text.utf8.count) + 2)
        forEachPiece(of: BertPreTokenizer.split(text), limit: limit) { id, _ in ids.append(id) }
        ids.append(sepID)
        return ids
    }

    /// Length of the full sequence for `text` without truncation, `[CLS]` and
    /// `[SEP]` included: the text fits the model unchanged when this is at most 256.
    public func countTokens(_ text: String) -> Int {
        var count = 2
        forEachPiece(of: BertPreTokenizer.split(text), limit: .max) { _, _ in count += 1 }
        return count
    }

    /// All word pieces of `text` (no `[CLS]`/`[SEP]`, no truncation), each with
    /// the range of the original text it covers.
    public func pieces(_ text: String) -> [WordPiece] {
        let pre = BertPreTokenizer.split(text)
        // String index of every scalar ordinal, plus the end index.
        var indices = Array(text.unicodeScalars.indices)
        indices.append(text.endIndex)
        var result: [WordPiece] = []
        forEachPiece(of: pre, limit: .max) { id, span in
            var low = Int32.max, high = Int32.min
            for k in span {
                low = min(low, pre.sources[k])
                high = max(high, pre.sources[k])
            }
            let range = indices[Int(low)]..<indices[Int(high) + 1]
            result.append(WordPiece(id: id, token: vocabulary.tokens[Int(id)], range: range))
        }
        return result
    }

    /// Calls `body` with each piece id and the range of normalised scalars it
    /// covers, stopping after `limit` pieces.
    private func forEachPiece(of pre: PreTokenizedText, limit: Int, _ body: (Int32, Range<Int>) -> Void) {
        var emitted = 0
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        var found: [(id: Int32, end: Int)] = []
        for w in 0..<pre.wordCount where emitted < limit {
            let first = pre.wordStarts[w], last = pre.wordStarts[w + 1]
            let n = last - first
            if n > Self.maxWordScalars {
                body(unknownID, first..<last); emitted += 1
                continue
            }
            // UTF-8 of the word and the byte offset of each scalar.
            bytes.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            for k in first..<last {
                offsets.append(bytes.count)
                bytes.append(contentsOf: pre.scalars[k].utf8)
            }
            offsets.append(bytes.count)
            found.removeAll(keepingCapacity: true)
            let covered = bytes.withUnsafeBufferPointer { all -> Bool in
                var start = 0
                while start < n {
                    var end = n
                    var match: Int32?
                    while start < end {
                        let a = offsets[start], b = offsets[end]
                        if b - a + (start > 0 ? 2 : 0) <= maxPieceBytes {
                            let piece = UnsafeBufferPointer(rebasing: all[a..<b])
                            if let id = vocabulary.lookup(continuation: start > 0, piece) {
                                match = id
                                break
                            }
                        }
                        end -= 1
                    }
                    guard let id = match else { return false }
                    found.append((id, end))
                    start = end
                }
                return true
            }
            if !covered {
                body(unknownID, first..<last); emitted += 1
                continue
            }
            var start = 0
            for piece in found where emitted < limit {
                body(piece.id, (first + start)..<(first + piece.end)); emitted += 1
                start = piece.end
            }
        }
    }
}
