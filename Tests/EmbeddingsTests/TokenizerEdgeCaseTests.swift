import Embeddings
import Testing

/// Token ids from the Hugging Face `tokenizers` library (0.23.3, this model's
/// tokenizer.json, truncation and padding off) for inputs beyond the reference
/// set: canonical decompositions of CJK compatibility ideographs, final sigma
/// (lower-cased per scalar, not in context), special casing, combining-mark
/// reordering, line/paragraph separators, Hangul, Thai and Devanagari marks,
/// math letters, tag characters, Unicode punctuation, ASCII symbols, kana,
/// CJK extension planes (Extension E as the Hugging Face tokenizer delimits
/// it, from U+2B920), recent emoji and characters newer than Unicode 8.0.

@Suite("WordPiece tokenizer beyond the reference set")
struct TokenizerEdgeCaseTests {
    static let cases: [(text: String, ids: [Int32])] = [
        ("\u{F900}\u{F901} \u{2F800} compat", [101, 100, 100, 100, 4012, 4502, 2102, 102]),
        ("\u{39F}\u{394}\u{39F}\u{3A3} \u{3A3}\u{3AF}\u{3C3}\u{3C5}\u{3C6}\u{3BF}\u{3C2}", [101, 1169, 29722, 29730, 29733, 1173, 18199, 29733, 29735, 29736, 15297, 102]),
        ("\u{130}stanbul stra\u{DF}e \u{1C5}emal \u{FB01}ne", [101, 9960, 2358, 27807, 100, 1984, 2638, 102]),
        ("a\u{316}\u{301}b e\u{301}\u{323} q\u{307}\u{323}", [101, 11113, 1041, 1053, 102]),
        ("line\u{2028}sep\u{2029}para\u{85}nel", [101, 2240, 19802, 11498, 11877, 102]),
        ("\u{D55C}\u{AD6D}\u{C5B4} \u{D14D}\u{C2A4}\u{D2B8}", [101, 1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008, 1467, 30009, 30020, 29997, 30017, 30003, 30017, 102]),
        ("x\u{A0}y\u{3000}z\u{1680}w", [101, 1060, 1061, 1062, 1059, 102]),
        ("\u{E01}\u{E34}\u{E19} \u{E44}\u{E17}\u{E22}", [101, 1409, 29949, 100, 102]),
        ("\u{915}\u{94D}\u{937}\u{924}\u{94D}\u{930}\u{93F}\u{92F}", [101, 1315, 29873, 29859, 29869, 29877, 29868, 102]),
        ("\u{1D400}\u{1D7D8} \u{210C} \u{216B} \u{2460}", [101, 100, 100, 100, 100, 102]),
        ("a\u{1BF2}b", [101, 100, 102]),
        ("\u{302E}\u{3131}\u{302F}", [101, 100, 102]),
        ("\u{E0041}tag\u{E007F}", [101, 6415, 102]),
        ("\u{A1}\u{BF}\u{AB}\u{BB}\u{2039}\u{203A}\u{201E}\u{201C}\u{201D}\u{2018}\u{2019}\u{2014}\u{2013}\u{2026}\u{B7}\u{2022}\u{A7}\u{B6}\u{2020}\u{2021}", [101, 1067, 1094, 1077, 1090, 100, 1533, 1525, 1523, 1524, 1520, 1521, 1517, 1516, 1529, 1087, 1528, 1073, 1086, 1526, 1527, 102]),
        ("$5+3=8 ^_^ `x` |y| ~z~", [101, 1002, 1019, 1009, 1017, 1027, 1022, 1034, 1035, 1034, 1036, 1060, 1036, 1064, 1061, 1064, 1066, 1062, 1066, 102]),
        ("\u{6F22}\u{5B57}\u{304B}\u{306A}\u{4EA4}\u{3058}\u{308A}\u{6587}\u{30AB}\u{30BF}\u{30AB}\u{30CA}\u{FF76}\u{FF80}\u{FF76}\u{FF85}", [101, 1904, 100, 1651, 30193, 100, 1657, 30212, 1861, 100, 102]),
        ("\u{20000}\u{2A700}\u{2B740}\u{2B820}\u{30000}", [101, 100, 100, 100, 100, 102]),
        ("a\u{2B820}b \u{2B91F}c\u{2B920}d", [101, 100, 100, 100, 1040, 102]),
        ("I \u{1F970} you \u{1FAE0}", [101, 1045, 100, 2017, 100, 102]),
        // Unassigned code points are kept; characters assigned after Unicode
        // 8.0 are letters to the reference tokenizer (neither removed nor
        // punctuation); the few that changed category since keep the old one.
        ("x\u{378}y \u{378}A", [101, 100, 100, 102]),
        ("a\u{8E2}b c\u{61D}d", [101, 100, 100, 102]),
        ("e\u{1885}f g\u{1734}h i\u{166D}j k\u{1171E}l", [101, 100, 1043, 2232, 1045, 100, 1046, 1047, 2140, 102]),
    ]

    @Test("matches the Hugging Face tokenizer", arguments: 0..<TokenizerEdgeCaseTests.cases.count)
    func matches(index: Int) throws {
        let tokenizer = try sharedEmbedder.get().tokenizer
        let (text, ids) = Self.cases[index]
        #expect(tokenizer.encode(text, maxLength: 512) == ids, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }
}
