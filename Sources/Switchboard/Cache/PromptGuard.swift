/// The known failure of semantic caches is answering a different question that merely reads
/// alike: "convert 5 miles to km" and "convert 50 miles to km" embed almost identically. These
/// guards compare what embeddings blur, and block a match when the two prompts differ in
/// numbers, in negation, or in named entities (products, places, people, versions), or when
/// they are the same sentence with a key word swapped or the same words in another order
/// ("soft" for "hard" yolk, "miles to km" for "km to miles"), which embeddings rate as
/// near-identical although the answer differs.
public enum PromptGuard {
    /// Why a match was blocked.
    public enum Block: String, Sendable, CaseIterable {
        case numbers, negation, entities, wording
    }

    /// The first guard that blocks serving `cached`'s answer to `asked`, or nil.
    public static func block(_ asked: String, _ cached: String) -> Block? {
        let a = Features(asked), b = Features(cached)
        if a.numbers != b.numbers { return .numbers }
        if a.negations != b.negations { return .negation }
        // An entity of one prompt must appear (in any case) in the other.
        if !a.entities.isSubset(of: b.words) || !b.entities.isSubset(of: a.words) { return .entities }
        if sameFrameOtherAsk(a.sequence, b.sequence) { return .wording }
        return nil
    }

    /// True when the two word sequences are one sentence with a short span of content words
    /// replaced, inserted or reordered; a change of common words only ("write me a haiku")
    /// does not count, and a real rewording (a paraphrase) changes more than a short span.
    static func sameFrameOtherAsk(_ a: [String], _ b: [String]) -> Bool {
        guard a != b else { return false }
        // The same words with the two sides of a direction swapped ("miles to km", "km to
        // miles"; "from London to Paris"): what comes before the last `to`/`from`/... differs.
        if a.sorted() == b.sorted() {
            for marker in directionWords {
                guard let i = a.lastIndex(of: marker), let j = b.lastIndex(of: marker) else { continue }
                if Set(a[..<i]) != Set(b[..<j]) { return true }
            }
        }
        var prefix = 0
        while prefix < min(a.count, b.count) && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(a.count, b.count) - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let middleA = a[prefix..<(a.count - suffix)], middleB = b[prefix..<(b.count - suffix)]
        guard middleA.count <= 3 && middleB.count <= 3, prefix + suffix >= 2 else { return false }
        // A key word replaced on both sides; an added or dropped word alone is a rewording.
        return middleA.contains { !functionWords.contains($0) } && middleB.contains { !functionWords.contains($0) }
    }

    struct Features {
        /// Numbers as written (digits, with separators removed) and number words as digits, sorted.
        var numbers: [String] = []
        var negations = 0
        /// Lower-cased names: capitalised words that are not common words, acronyms, mixed
        /// letters and digits (`ec2`, `gpt-4o`), camel case (`iPhone`).
        var entities: Set<String> = []
        /// Every word, lower-cased, possessive and plural `s` dropped.
        var words: Set<String> = []
        /// The words in order.
        var sequence: [String] = []

        init(_ text: String) {
            var sentenceStart = true
            for (token, endsSentence) in Self.tokens(text) {
                let lower = token.lowercased()
                if Self.isNegation(lower) { negations += 1 }
                let word = Self.normalized(lower)
                words.insert(word)
                let number = Self.number(lower)
                sequence.append(number ?? word)
                if let number {
                    numbers.append(number)
                } else if Self.isEntity(token, lower: lower, sentenceStart: sentenceStart) {
                    entities.insert(word)
                }
                sentenceStart = endsSentence
            }
            numbers.sort()
        }

        /// `Australia's` → `australia`, `dictionaries` → `dictionarie`: crude, but the same on
        /// both sides, which is all a comparison needs.
        static func normalized(_ lower: String) -> String {
            var word = lower
            if word.hasSuffix("'s") { word.removeLast(2) }
            if word == "an" { return "a" }
            if word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") { word.removeLast() }
            return word
        }

        /// Words of letters, digits and inner `.`, `,`, `'`, `+`, `#` (so `3.5`, `1,000`,
        /// `don't`, `c++`, `c#` stay whole; `5-year-old` and `carbon-14` split at the hyphen),
        /// each with whether a sentence ends after it (`.`, `?`, `!`, `:`).
        static func tokens(_ text: String) -> [(String, Bool)] {
            var tokens: [(String, Bool)] = []
            var current = ""
            let inner: Set<Character> = [".", ",", "'", "’"]
            let trailing: Set<Character> = ["+", "#"]
            let enders: Set<Character> = [".", "?", "!", ":", ";", "\n"]
            let chars = Array(text)
            for (i, c) in chars.enumerated() {
                if c.isLetter || c.isNumber {
                    current.append(c)
                } else if !current.isEmpty, inner.contains(c), i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1].isNumber {
                    current.append(c == "’" ? "'" : c)
                } else if !current.isEmpty, trailing.contains(c) {
                    current.append(c)
                } else {
                    if !current.isEmpty {
                        tokens.append((current, false))
                        current = ""
                    }
                    if enders.contains(c), !tokens.isEmpty { tokens[tokens.count - 1].1 = true }
                }
            }
            if !current.isEmpty { tokens.append((current, true)) }
            return tokens
        }

        static func number(_ lower: String) -> String? {
            if let word = numberWords[lower] { return word }
            let stripped = lower.replacingOccurrences(of: ",", with: "")
            guard stripped.first?.isNumber == true, stripped.allSatisfy({ $0.isNumber || $0 == "." }) else {
                // 5th, 2nd, 10k, 3x: a number with a unit or ordinal suffix.
                let digits = stripped.prefix { $0.isNumber || $0 == "." }
                let suffix = stripped.dropFirst(digits.count)
                if !digits.isEmpty, ["st", "nd", "rd", "th", "k", "m", "x", "s", "%"].contains(String(suffix)) { return String(digits) + String(suffix) }
                return nil
            }
            return stripped
        }

        static func isNegation(_ lower: String) -> Bool {
            negationWords.contains(lower) || lower.hasSuffix("n't")
        }

        static func isEntity(_ token: String, lower: String, sentenceStart: Bool) -> Bool {
            if token.contains(where: \.isNumber) && token.contains(where: \.isLetter) { return true }
            if commonWords.contains(lower) || commonWords.contains(normalized(lower)) { return false }
            // Acronyms (`AWS`, `II`) and camel case (`iPhone`) anywhere; a capital first letter
            // only inside a sentence, where it marks a name rather than the sentence's start.
            if token.dropFirst().contains(where: \.isUppercase) { return true }
            return !sentenceStart && token.first?.isUppercase == true
        }
    }

    static let numberWords: [String: String] = [
        "zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
        "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
        "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
        "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
        "million": "1000000", "billion": "1000000000", "dozen": "12",
    ]

    static let negationWords: Set<String> = [
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "cannot", "except",
        "excluding", "non", "unless",
    ]

    /// Words whose swap never changes what is asked.
    static let functionWords: Set<String> = Set("""
    a an the and or but if then so as of in on at to for from by with about into over under between after before during \
    up out off here there when where why how what which who whom whose this that these those am is are was were be been \
    being have has had do does did will would shall should can could may might must i me my we us our you your he him his \
    she her it its they them their all any some such only also just very please much many can't don't doesn't isn't \
    aren't won't what's how's it's there's get way ways
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Words that give a question a direction; swapping what stands on either side changes it.
    static let directionWords = ["to", "into", "from", "than", "vs", "versus", "over"]

    /// Words that start sentences or are capitalised for emphasis without naming anything.
    static let commonWords: Set<String> = Set("""
    a an the and or but if then else so because as of in on at to for from by with about into over under between after before \
    during through up down out off again further once here there when where why how what which who whom whose this that these \
    those am is are was were be been being have has had having do does did doing will would shall should can could may might must \
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs all any both each few more most \
    other some such only own same than too very just also not no yes please thanks thank hi hello hey ok okay now today \
    explain describe tell give write list show compare summarize summarise translate define find make create generate help \
    suggest recommend calculate convert check fix debug rewrite draft outline name provide share let lets let's is it's what's \
    how's who's where's whats hows can't don't doesn't isn't aren't won't quick quickly briefly simple simply short best good \
    difference differences steps step way ways example examples tips guide overview meaning definition pros cons advantages \
    disadvantages benefits use using used need needed want wanted get getting go going know look looking try trying say said \
    is there any anything something everything one ones new old main key common typical usual whats is should i \
    much many percent way
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
}
