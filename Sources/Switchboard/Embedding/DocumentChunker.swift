import Foundation

/// How documents are cut into chunks. Together with the embedding model it names an index
/// version, so changing either means re-indexing.
public struct ChunkerSettings: Sendable, Hashable, Codable {
    /// Most tokens in one chunk, counted with the model's tokenizer ([CLS] and [SEP] included).
    public var maxTokens: Int
    /// Tokens a chunk repeats from the end of the previous one, so a sentence cut at a boundary
    /// is still whole in one of the two.
    public var overlapTokens: Int

    public init(maxTokens: Int = 256, overlapTokens: Int = 32) {
        self.maxTokens = max(8, maxTokens)
        self.overlapTokens = max(0, min(overlapTokens, maxTokens / 2))
    }
}

/// One piece of a document, with everything needed to cite it and to find it again.
public struct DocumentChunk: Sendable, Equatable {
    public var documentID: String
    /// Position of the chunk in its document, from 0.
    public var index: Int
    public var text: String
    /// Unicode-scalar offsets of `text` in the document: `start..<end`.
    public var start: Int
    public var end: Int
    /// The Markdown headings above the chunk, outermost first.
    public var headingPath: [String]
    public var tokenCount: Int
    /// Hex SHA-256 of `text`.
    public var contentHash: String
}

/// A recursive splitter: sections (Markdown headings), then paragraphs, then sentences, then
/// words, packing neighbouring pieces into chunks that fit `maxTokens` by the model's own count.
public struct DocumentChunker: Sendable {
    public let settings: ChunkerSettings
    private let countTokens: @Sendable (String) -> Int

    /// `countTokens` is the model's tokenizer count (e.g. `WordPieceTokenizer.countTokens`).
    public init(settings: ChunkerSettings = ChunkerSettings(), countTokens: @escaping @Sendable (String) -> Int) {
        self.settings = settings
        self.countTokens = countTokens
    }

    /// A piece of the document: a range of unicode-scalar offsets.
    struct Piece {
        var start: Int
        var end: Int
    }

    /// Chunks `text`; `markdown` turns `#` headings into section boundaries and heading paths.
    public func chunk(documentID: String, text: String, markdown: Bool = true) -> [DocumentChunk] {
        let scalars = Array(text.unicodeScalars)
        var chunks: [DocumentChunk] = []
        for section in sections(scalars, markdown: markdown) {
            let pieces = split(scalars, Piece(start: section.start, end: section.end), level: 0)
            for range in pack(scalars, pieces, limit: balancedLimit(scalars, Piece(start: section.start, end: section.end))) {
                let body = string(scalars, range)
                let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { continue }
                chunks.append(DocumentChunk(
                    documentID: documentID, index: chunks.count, text: body, start: range.start, end: range.end,
                    headingPath: section.headings, tokenCount: countTokens(body), contentHash: Digest.sha256Hex(body)))
            }
        }
        return chunks
    }

    private func string(_ scalars: [Unicode.Scalar], _ piece: Piece) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[piece.start..<piece.end])
        return String(view)
    }

    private func tokens(_ scalars: [Unicode.Scalar], _ piece: Piece) -> Int {
        countTokens(string(scalars, piece))
    }

    /// Sections at Markdown headings, each with its heading path.
    private func sections(_ scalars: [Unicode.Scalar], markdown: Bool) -> [(start: Int, end: Int, headings: [String])] {
        guard markdown else { return [(0, scalars.count, [])] }
        var result: [(Int, Int, [String])] = []
        var path: [(level: Int, title: String)] = []
        var sectionStart = 0
        var lineStart = 0
        var sectionHeadings: [String] = []
        var index = 0
        while index <= scalars.count {
            if index == scalars.count || scalars[index] == "\n" {
                let line = string(scalars, Piece(start: lineStart, end: index))
                let level = line.prefix { $0 == "#" }.count
                if level > 0, level <= 6, line.dropFirst(level).first == " " {
                    if lineStart > sectionStart { result.append((sectionStart, lineStart, sectionHeadings)) }
                    path.removeAll { $0.level >= level }
                    path.append((level, line.dropFirst(level).trimmingCharacters(in: .whitespaces)))
                    sectionHeadings = path.map(\.title)
                    sectionStart = lineStart
                }
                lineStart = index + 1
            }
            index += 1
        }
        if scalars.count > sectionStart { result.append((sectionStart, scalars.count, sectionHeadings)) }
        return result
    }

    /// Splits `piece` until every part fits: level 0 paragraphs, 1 sentences, 2 words.
    private func split(_ scalars: [Unicode.Scalar], _ piece: Piece, level: Int) -> [Piece] {
        if tokens(scalars, piece) <= settings.maxTokens || level > 2 { return [piece] }
        var parts: [Piece] = []
        var start = piece.start
        var i = piece.start
        while i < piece.end {
            let boundary: Bool
            switch level {
            case 0: boundary = scalars[i] == "\n" && i + 1 < piece.end && scalars[i + 1] == "\n"
            case 1: boundary = ".!?".unicodeScalars.contains(scalars[i]) && i + 1 < piece.end && scalars[i + 1].properties.isWhitespace
            default: boundary = scalars[i].properties.isWhitespace
            }
            if boundary {
                parts.append(Piece(start: start, end: i + 1))
                start = i + 1
            }
            i += 1
        }
        if start < piece.end { parts.append(Piece(start: start, end: piece.end)) }
        if parts.count <= 1 { return level >= 2 ? [piece] : split(scalars, piece, level: level + 1) }
        return parts.flatMap { split(scalars, $0, level: level + 1) }
    }

    /// The chunk size that cuts a section into pieces of about equal size: a 300-token section
    /// becomes two chunks of about 160 tokens rather than 256 and a 50-token tail, which would
    /// carry little meaning of its own and match queries by accident.
    private func balancedLimit(_ scalars: [Unicode.Scalar], _ section: Piece) -> Int {
        let total = tokens(scalars, section)
        guard total > settings.maxTokens else { return settings.maxTokens }
        let step = max(1, settings.maxTokens - settings.overlapTokens)
        let count = Int((Double(total - settings.overlapTokens) / Double(step)).rounded(.up))
        let even = Int((Double(total - settings.overlapTokens) / Double(count)).rounded(.up)) + settings.overlapTokens
        return min(settings.maxTokens, even + 8)
    }

    /// Packs neighbouring pieces into chunks of at most `limit` tokens, each new chunk starting with
    /// the last pieces of the previous one that fit in `overlapTokens`.
    private func pack(_ scalars: [Unicode.Scalar], _ pieces: [Piece], limit: Int) -> [Piece] {
        var chunks: [Piece] = []
        var current: [Piece] = []
        func span(_ list: [Piece]) -> Piece { Piece(start: list.first!.start, end: list.last!.end) }  // invariant: never called empty
        for piece in pieces {
            if current.isEmpty {
                current = [piece]
                continue
            }
            if tokens(scalars, span(current + [piece])) <= limit {
                current.append(piece)
                continue
            }
            chunks.append(span(current))
            var overlap: [Piece] = []
            for previous in current.reversed() {
                let candidate = [previous] + overlap
                guard tokens(scalars, span(candidate)) <= settings.overlapTokens,
                      tokens(scalars, span(candidate + [piece])) <= limit else { break }
                overlap = candidate
            }
            current = overlap + [piece]
        }
        if !current.isEmpty { chunks.append(span(current)) }
        return chunks
    }
}
