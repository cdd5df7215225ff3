/// The known failure of semantic caches is answering a different question that merely reads
/// alike: "convert 5 miles to km" and "convert 50 miles to km" embed almost identically. These
/// guards compare what embeddings blur, and block a match when the two prompts differ in
/// numbers, in negation, or in named entities (products, places, people, versions).
public enum PromptGuard {
    /// Why a match was blocked.
    public enum Block: String, Sendable, CaseIterable {
        case numbers, negation, entities
    }

    /// The first guard that blocks serving `cached`'s answer to `asked`, or nil.
    public static func block(_ asked: String, _ cached: String) -> Block? {
        let a = Features(asked), b = Features(cached)
        if a.numbers != b.numbers { return .numbers }
        if a.negations != b.negations { return .negation }
        // An entity of one prompt must appear (in any case) in the other.
        if !a.entities.isSubset(of: b.words) || !b.entities.isSubset(of: a.words) { return .entities }
        return nil
    }

    struct Features {
        /// Numbers as written (digits, with separators removed) and number words as digits, sorted.
        var numbers: [String] = []
        var negations = 0
        /// Lower-cased names: capitalised words that are not common words, acronyms, mixed
        /// letters and digits (`ec2`, `gpt-4o`), camel case (`iPhone`).
        var entities: Set<String> = []
        /// Every word, lower-cased.
        var words: Set<String> = []

        init(_ text: String) {
            for token in Self.tokens(text) {
                let lower = token.lowercased()
                words.insert(lower)
                if Self.isNegation(lower) { negations += 1 }
                if let number = Self.number(lower) {
                    numbers.append(number)
                } else if Self.isEntity(token, lower: lower) {
                    entities.insert(lower)
                }
            }
            numbers.sort()
        }

        /// Words of letters, digits and inner `.`, `,`, `'`, `-`, `+`, `#` (so `3.5`, `1,000`,
        /// `don't`, `gpt-4o`, `c++`, `c#` stay whole).
        static func tokens(_ text: String) -> [String] {
            var tokens: [String] = []
            var current = ""
            let inner: Set<Character> = [".", ",", "'", "’", "-"]
            let trailing: Set<Character> = ["+", "#"]
            let chars = Array(text)
            for (i, c) in chars.enumerated() {
                if c.isLetter || c.isNumber {
                    current.append(c)
                } else if !current.isEmpty, inner.contains(c), i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1].isNumber {
                    current.append(c == "’" ? "'" : c)
                } else if !current.isEmpty, trailing.contains(c) {
                    current.append(c)
                } else if !current.isEmpty {
                    tokens.append(current)
                    current = ""
                }
            }
            if !current.isEmpty { tokens.append(current) }
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

        static func isEntity(_ token: String, lower: String) -> Bool {
            if token.contains(where: \.isNumber) && token.contains(where: \.isLetter) { return true }
            if commonWords.contains(lower) { return false }
            // Capitalised, acronym (`AWS`) or camel case (`iPhone`, `PostgreSQL`).
            return token.contains(where: \.isUppercase)
        }
    }

    static let numberWords: [String: String] = [
        "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
        "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
        "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
        "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
        "million": "1000000", "billion": "1000000000", "dozen": "12", "half": "0.5", "quarter": "0.25", "twice": "2x",
        "double": "2x", "triple": "3x", "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
    ]

    static let negationWords: Set<String> = [
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "cannot", "except",
        "excluding", "non", "unless",
    ]

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
    is there any anything something everything one ones new old main key common typical usual whats is should i
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
}
