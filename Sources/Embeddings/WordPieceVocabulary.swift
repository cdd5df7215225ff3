import Foundation

/// The WordPiece vocabulary (`vocab.txt`: one token per line, id = line number).
///
/// Lookups compare raw UTF-8 bytes, not `String`s: Swift's `String` equality is
/// canonical equivalence, whereas the tokenizer must match byte for byte, and
/// byte slices also avoid building a `String` for every candidate sub-word.
struct WordPieceVocabulary: Sendable {
    /// Token text by id.
    let tokens: [String]
    /// UTF-8 of all tokens, back to back.
    private let bytes: [UInt8]
    /// `bytes[starts[id] ..< starts[id + 1]]` is token `id`.
    private let starts: [Int32]
    /// Open-addressing hash table of token ids; -1 marks an empty slot.
    private let slots: [Int32]
    private let mask: Int

    /// Loads `vocab.txt` from `url`.
    init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EmbeddingError(.modelNotFound, "vocabulary file \(url.path) does not exist")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EmbeddingError(.fileUnreadable, "cannot read vocabulary \(url.path): \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmbeddingError(.invalidVocabulary, "vocabulary \(url.path) is not valid UTF-8")
        }
        // Split on "\n" only, like Python's `line.rstrip("\n")`: a token may
        // legitimately contain other whitespace-like scalars.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else {
            throw EmbeddingError(.invalidVocabulary, "vocabulary \(url.path) is empty")
        }
        try self.init(tokens: lines, source: url.path)
    }

    /// Builds the vocabulary from token strings (id = index).
    init(tokens: [String], source: String = "<memory>") throws {
        self.tokens = tokens
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        bytes.reserveCapacity(tokens.count * 8)
        for token in tokens {
            bytes.append(contentsOf: token.utf8)
            guard let end = Int32(exactly: bytes.count) else {
                throw EmbeddingError(.invalidVocabulary, "vocabulary \(source) is larger than 2 GiB")
            }
            starts.append(end)
        }
        var size = 1024
        while size < tokens.count * 2 { size <<= 1 }
        var slots = [Int32](repeating: -1, count: size)
        let mask = size - 1
        bytes.withUnsafeBufferPointer { all in
            for id in tokens.indices {
                let a = Int(starts[id]), b = Int(starts[id + 1])
                let token = UnsafeBufferPointer(rebasing: all[a..<b])
                var slot = Int(truncatingIfNeeded: Self.hash(prefix: false, token)) & mask
                // A later duplicate line wins, as when a dict is filled line by line.
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    let oa = Int(starts[other]), ob = Int(starts[other + 1])
                    if ob - oa == b - a && all[oa..<ob].elementsEqual(all[a..<b]) { break }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(id)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        self.mask = mask
        for special in ["[UNK]", "[CLS]", "[SEP]"] where id(of: special) == nil {
            throw EmbeddingError(.invalidVocabulary, "vocabulary \(source) has no \(special) token")
        }
    }

    /// Number of tokens.
    var count: Int { tokens.count }

    /// Id of a whole token given as a `String`.
    func id(of token: String) -> Int32? {
        Array(token.utf8).withUnsafeBufferPointer { lookup(continuation: false, $0) }
    }

    /// Id of the token whose UTF-8 is `piece`, or of `"##" + piece` when
    /// `continuation` is set.
    func lookup(continuation: Bool, _ piece: UnsafeBufferPointer<UInt8>) -> Int32? {
        let wanted = piece.count + (continuation ? 2 : 0)
        var slot = Int(truncatingIfNeeded: Self.hash(prefix: continuation, piece)) & mask
        return bytes.withUnsafeBufferPointer { all -> Int32? in
            while true {
                let id = Int(slots[slot])
                if id < 0 { return nil }
                let a = Int(starts[id]), b = Int(starts[id + 1])
                if b - a == wanted {
                    let body = continuation ? a + 2 : a
                    if (!continuation || (all[a] == 0x23 && all[a + 1] == 0x23))
                        && all[body..<b].elementsEqual(piece) {
                        return Int32(id)
                    }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// FNV-1a over `"##"` (when `prefix`) followed by `piece`.
    private static func hash(prefix: Bool, _ piece: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if prefix {
            h = (h ^ 0x23) &* 0x100_0000_01b3
            h = (h ^ 0x23) &* 0x100_0000_01b3
        }
        for byte in piece { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }
}
