import Foundation

/// Words of a text after BERT's normalisation and pre-tokenisation, with the
/// source position of every scalar.
struct PreTokenizedText {
    /// Normalised scalars of all words, back to back.
    var scalars: [Unicode.Scalar] = []
    /// For each normalised scalar, the ordinal of the scalar of the original
    /// text it came from (so pieces can be mapped back to the input).
    var sources: [Int32] = []
    /// `scalars[wordStarts[i] ..< wordStarts[i + 1]]` is word `i`.
    var wordStarts: [Int] = [0]

    /// Number of words.
    var wordCount: Int { wordStarts.count - 1 }
}

/// BERT uncased normalisation (clean text, CJK padding, NFD + drop Mn,
/// lower-case) fused with the pre-tokeniser (split on whitespace, isolate
/// punctuation), in the order the reference tokenizer applies them.
///
/// Everything works on Unicode scalars: grapheme clusters would merge
/// "e\u{301}", emoji sequences and CRLF, which BERT treats as separate characters.
enum BertPreTokenizer {
    /// Normalises and splits `text` into words.
    static func split(_ text: String) -> PreTokenizedText {
        var state = State()
        state.out.scalars.reserveCapacity(text.utf8.count)
        state.out.sources.reserveCapacity(text.utf8.count)
        var ordinal: Int32 = 0
        for scalar in text.unicodeScalars {
            defer { ordinal += 1 }
            let v = scalar.value
            if v < 0x80 {
                // ASCII: no decomposition and no marks; only controls, case and spaces matter.
                if v == 0x09 || v == 0x0A || v == 0x0D || v == 0x20 {
                    state.flushMarks(); state.emit(" ", ordinal)
                } else if v < 0x20 || v == 0x7F {
                    continue
                } else {
                    state.flushMarks()
                    let lower = (v >= 0x41 && v <= 0x5A) ? Unicode.Scalar(UInt8(v + 32)) : scalar
                    state.emit(lower, ordinal)
                }
                continue
            }
            let props = scalar.properties
            if v == 0xFFFD || isOther(category(scalar)) { continue }
            if props.isWhitespace {
                state.flushMarks(); state.emit(" ", ordinal)
            } else {
                // CJK ideographs are padded with spaces before NFD runs (the
                // compatibility ideographs U+F900… then decompose to unified ones).
                let cjk = isCJK(v)
                if cjk { state.flushMarks(); state.emit(" ", ordinal) }
                for part in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars {
                    state.decomposed(part, ordinal)
                }
                if cjk { state.flushMarks(); state.emit(" ", ordinal) }
            }
        }
        state.flushMarks()
        state.endWord()
        return state.out
    }

    /// The general category as the reference tokenizer sees it.
    ///
    /// Hugging Face's BERT normaliser and pre-tokeniser take categories from
    /// tables of Unicode 8.0: a character assigned later is unassigned there,
    /// and so neither removed, nor punctuation, nor a mark to strip — just a
    /// letter (usually ending as `[UNK]`). Swift's tables are newer, so
    /// characters younger than 8.0 are mapped back to `.unassigned`.
    ///
    /// Seven older characters whose category changed after 8.0 in a way that
    /// matters here get their 8.0 category back.
    static func category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        let props = scalar.properties
        guard let age = props.age, age.major < 8 || (age.major == 8 && age.minor == 0) else { return .unassigned }
        let current = props.generalCategory
        switch current {
        case .nonspacingMark, .spacingMark, .otherSymbol:
            return legacyCategories[scalar.value] ?? current
        default:
            return current
        }
    }

    /// Unicode 8.0 categories of the characters that have changed since.
    private static let legacyCategories: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation,  // CANADIAN SYLLABICS CHI SIGN, now So
        0x1734: .nonspacingMark,    // HANUNOO SIGN PAMUDPOD, now Mc
        0x1885: .otherLetter,       // MONGOLIAN LETTER ALI GALI BALUDA, now Mn
        0x1886: .otherLetter,       // MONGOLIAN LETTER ALI GALI THREE BALUDA, now Mn
        0xA9BD: .spacingMark,       // JAVANESE CONSONANT SIGN KERET, now Mn
        0x111C9: .otherPunctuation, // SHARADA SANDHI MARK, now Mn
        0x1171E: .nonspacingMark,   // AHOM CONSONANT SIGN MEDIAL RA, now Mc
    ]

    /// Cc, Cf, Cs, Co: removed by the cleaning step. Unassigned code points
    /// (Cn) are kept, as the reference tokenizer does.
    static func isOther(_ category: Unicode.GeneralCategory) -> Bool {
        switch category {
        case .control, .format, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks that BERT splits one character per word.
    ///
    /// Extension E starts at U+2B920 here, not U+2B820 as in Google's BERT:
    /// the Hugging Face tokenizer that sentence-transformers runs has it so,
    /// and matching its output is the point (U+2B820–U+2B91F stay glued to
    /// their neighbours there).
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// ASCII 33–47, 58–64, 91–96, 123–126, or any Unicode P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (33...47).contains(v) || (58...64).contains(v)
                || (91...96).contains(v) || (123...126).contains(v)
        }
        switch category(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Mutable pass state: the output and the run of combining marks awaiting
    /// canonical reordering.
    private struct State {
        var out = PreTokenizedText()
        /// Non-starters (canonical combining class ≠ 0) in input order, with sources.
        var marks: [(scalar: Unicode.Scalar, ccc: UInt8, source: Int32)] = []

        /// Takes one scalar of an NFD decomposition.
        mutating func decomposed(_ scalar: Unicode.Scalar, _ source: Int32) {
            let ccc = scalar.properties.canonicalCombiningClass.rawValue
            if ccc != 0 {
                marks.append((scalar, ccc, source))
            } else {
                flushMarks()
                stripAndLower(scalar, source)
            }
        }

        /// NFD orders each run of non-starters by combining class (stably)
        /// before the Mn marks are dropped; only the order of the surviving
        /// non-Mn marks depends on it, but it is cheap to get right.
        mutating func flushMarks() {
            guard !marks.isEmpty else { return }
            if marks.count > 1 {
                marks = marks.enumerated()
                    .sorted { ($0.element.ccc, $0.offset) < ($1.element.ccc, $1.offset) }
                    .map(\.element)
            }
            for mark in marks { stripAndLower(mark.scalar, mark.source) }
            marks.removeAll(keepingCapacity: true)
        }

        /// Drops non-spacing marks (accent stripping), then lower-cases one
        /// scalar at a time with the full (multi-scalar) mapping.
        mutating func stripAndLower(_ scalar: Unicode.Scalar, _ source: Int32) {
            if category(scalar) == .nonspacingMark { return }
            let props = scalar.properties
            if props.changesWhenLowercased {
                for lower in props.lowercaseMapping.unicodeScalars { emit(lower, source) }
            } else {
                emit(scalar, source)
            }
        }

        /// Appends a normalised scalar, applying the pre-tokeniser's splits.
        mutating func emit(_ scalar: Unicode.Scalar, _ source: Int32) {
            if scalar == " " || (scalar.value >= 0x80 && scalar.properties.isWhitespace) {
                endWord()
            } else if isPunctuation(scalar) {
                endWord()
                out.scalars.append(scalar); out.sources.append(source)
                endWord()
            } else {
                out.scalars.append(scalar); out.sources.append(source)
            }
        }

        /// Closes the current word if it has any scalars.
        mutating func endWord() {
            if out.scalars.count > out.wordStarts[out.wordStarts.count - 1] {
                out.wordStarts.append(out.scalars.count)
            }
        }
    }
}
