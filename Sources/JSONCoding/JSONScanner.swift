import Foundation

/// One value of a scanned JSON document, in a flat array in document order: a container is
/// followed by its elements (an object by key, value, key, value...), so a value's subtree is the
/// run of nodes up to `next`. Strings and numbers are kept as byte ranges of the input and read
/// only when decoded; the scanner has already checked them, so reading them cannot fail on syntax.
struct JSONNode {
    enum Kind: UInt8 {
        case null, `true`, `false`, number, string, array, object
    }

    var kind: Kind
    /// Strings: `escaped`, `nonASCII`. Numbers: `plainInteger`.
    var flags: UInt8
    /// Strings: the bytes between the quotes. Others: the value's whole text.
    var start: UInt32
    var end: UInt32
    /// Containers: elements of an array, members of an object.
    var count: UInt32
    /// The node after this value's subtree.
    var next: UInt32
    /// The enclosing container, `JSONNode.noParent` for the top-level value.
    var parent: UInt32

    static let noParent = UInt32.max
    static let escaped: UInt8 = 1
    static let nonASCII: UInt8 = 2
    static let plainInteger: UInt8 = 1

    /// Strings without escapes or non-ASCII bytes: equal keys have equal bytes.
    var isPlainASCIIString: Bool { flags == 0 }

    /// How `JSONDecoder` names the kind in type-mismatch errors.
    var kindDescription: String {
        switch kind {
        case .null: "null"
        case .true, .false: "bool"
        case .number: "number"
        case .string: "a string"
        case .array: "an array"
        case .object: "a dictionary"
        }
    }
}

/// Checks a document against RFC 8259 and records its values as `JSONNode`s.
///
/// Strict where `JSONDecoder` only checks the values a type reads: every string's escapes,
/// surrogate pairs, control characters and UTF-8, and every number's syntax are checked here,
/// so a malformed document is rejected whatever the type decodes. Lenient where `JSONDecoder`
/// is: a trailing comma before `]` or `}` and a UTF-8 byte order mark are accepted. Nesting is
/// limited to 512 arrays and objects, as in `JSONDecoder`.
struct JSONScanner {
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private(set) var nodes: [JSONNode] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        nodes.reserveCapacity(bytes.count / 6 + 8)
    }

    /// Scans the whole document; the top-level value is node 0, and a spare `null` node (for
    /// decoders of absent values) comes last.
    mutating func scan() throws -> [JSONNode] {
        guard bytes.count < Int(UInt32.max) else {
            throw Self.corrupted(at: 0, "the document is larger than 4 GiB")
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            position = 3
        }
        skipWhitespace()
        try scanValue(parent: JSONNode.noParent, depth: 0)
        skipWhitespace()
        guard position == bytes.count else {
            throw Self.corrupted(at: position, "unexpected character after the top-level value")
        }
        nodes.append(JSONNode(kind: .null, flags: 0, start: 0, end: 0, count: 0, next: UInt32(nodes.count + 1), parent: JSONNode.noParent))
        return nodes
    }

    /// The error every malformed document throws: what `JSONDecoder` throws, with the place and
    /// reason in the underlying error.
    static func corrupted(at offset: Int, _ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON.",
                                          underlyingError: JSONSyntaxError(offset: offset, reason: reason)))
    }

    private func fail(_ reason: String) -> DecodingError {
        Self.corrupted(at: position, reason)
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func scanValue(parent: UInt32, depth: Int) throws {
        guard position < bytes.count else { throw fail("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "\""): try scanString(parent: parent)
        case UInt8(ascii: "{"): try scanContainer(.object, parent: parent, depth: depth)
        case UInt8(ascii: "["): try scanContainer(.array, parent: parent, depth: depth)
        case UInt8(ascii: "t"): try scanLiteral("true", .true, parent: parent)
        case UInt8(ascii: "f"): try scanLiteral("false", .false, parent: parent)
        case UInt8(ascii: "n"): try scanLiteral("null", .null, parent: parent)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber(parent: parent)
        default: throw fail("unexpected character, expected a value")
        }
    }

    private mutating func scanLiteral(_ text: StaticString, _ kind: JSONNode.Kind, parent: UInt32) throws {
        let length = text.utf8CodeUnitCount
        guard bytes.count - position >= length else { throw fail("invalid literal, expected \(text)") }
        for offset in 1..<length where bytes[position + offset] != text.utf8Start[offset] {
            throw fail("invalid literal, expected \(text)")
        }
        nodes.append(JSONNode(kind: kind, flags: 0, start: UInt32(position), end: UInt32(position + length), count: 0,
                              next: UInt32(nodes.count + 1), parent: parent))
        position += length
    }

    /// An object or an array: its members (key, then value) or elements, separated by commas,
    /// up to the closing byte.
    private mutating func scanContainer(_ kind: JSONNode.Kind, parent: UInt32, depth: Int) throws {
        guard depth < Self.maximumDepth else { throw fail("more than \(Self.maximumDepth) nested arrays and objects") }
        let isObject = kind == .object
        let closing = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let what = isObject ? "an object" : "an array"
        let index = nodes.count
        nodes.append(JSONNode(kind: kind, flags: 0, start: UInt32(position), end: 0, count: 0, next: 0, parent: parent))
        position += 1
        skipWhitespace()
        var count: UInt32 = 0
        var closed = position < bytes.count && bytes[position] == closing
        if closed { position += 1 }
        while !closed {
            if isObject {
                guard position < bytes.count else { throw fail("unexpected end of input in an object") }
                guard bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a string key in an object") }
                try scanString(parent: UInt32(index))
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
                position += 1
                skipWhitespace()
            }
            try scanValue(parent: UInt32(index), depth: depth + 1)
            count += 1
            skipWhitespace()
            guard position < bytes.count else { throw fail("unexpected end of input in \(what)") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
                // A trailing comma is accepted, as JSONDecoder does.
                closed = position < bytes.count && bytes[position] == closing
                if closed { position += 1 }
            case closing:
                position += 1
                closed = true
            default:
                throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(what)")
            }
        }
        nodes[index].count = count
        nodes[index].end = UInt32(position)
        nodes[index].next = UInt32(nodes.count)
    }

    // MARK: Strings

    private mutating func scanString(parent: UInt32) throws {
        position += 1
        let start = position
        var flags: UInt8 = 0
        while true {
            skipPlainBytes()
            guard position < bytes.count else { throw fail("unexpected end of input in a string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                flags |= JSONNode.escaped
                try scanEscape()
            } else if byte >= 0x80 {
                flags |= JSONNode.nonASCII
                try scanMultibyteCharacter()
            } else {
                throw fail("unescaped control character in a string")
            }
        }
        nodes.append(JSONNode(kind: .string, flags: flags, start: UInt32(start), end: UInt32(position), count: 0,
                              next: UInt32(nodes.count + 1), parent: parent))
        position += 1
    }

    /// Skips ASCII bytes that stand for themselves in a string: eight at a time while no byte
    /// of the word is a quote, backslash, control character or non-ASCII, then one at a time.
    @inline(__always)
    private mutating func skipPlainBytes() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let special = ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | (word &- ones &* 0x20) | word
            if special & highs != 0 { break }
            position += 8
        }
        while position < bytes.count {
            let byte = bytes[position]
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { return }
            position += 1
        }
    }

    private mutating func scanEscape() throws {
        guard position + 1 < bytes.count else { throw fail("unexpected end of input in an escape sequence") }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try hexUnit(at: position + 2)
            position += 6
            if UTF16.isLeadSurrogate(unit) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u"),
                      UTF16.isTrailSurrogate(try hexUnit(at: position + 2)) else {
                    throw fail("a high surrogate escape not followed by a low surrogate escape")
                }
                position += 6
            } else if UTF16.isTrailSurrogate(unit) {
                throw fail("a low surrogate escape without a high surrogate before it")
            }
        default:
            throw fail("invalid escape sequence")
        }
    }

    private func hexUnit(at offset: Int) throws -> UInt16 {
        guard offset + 4 <= bytes.count else { throw Self.corrupted(at: offset, "unexpected end of input in a \\u escape") }
        var unit: UInt16 = 0
        for index in offset..<offset + 4 {
            guard let digit = JSONText.hexValue(bytes[index]) else { throw Self.corrupted(at: index, "invalid hex digit in a \\u escape") }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// Checks one UTF-8 encoded character of two to four bytes (no overlong forms, surrogates or
    /// code points above U+10FFFF) and skips it.
    private mutating func scanMultibyteCharacter() throws {
        let lead = bytes[position]
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        let continuation: Int
        switch lead {
        case 0xC2...0xDF: continuation = 1
        case 0xE0: continuation = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: continuation = 2
        case 0xED: continuation = 2; high = 0x9F
        case 0xF0: continuation = 3; low = 0x90
        case 0xF1...0xF3: continuation = 3
        case 0xF4: continuation = 3; high = 0x8F
        default: throw fail("invalid UTF-8 in a string")
        }
        guard position + continuation < bytes.count else { throw fail("invalid UTF-8 in a string") }
        let second = bytes[position + 1]
        guard second >= low, second <= high else { throw fail("invalid UTF-8 in a string") }
        if continuation > 1 {
            for index in position + 2...position + continuation where bytes[index] & 0xC0 != 0x80 {
                throw fail("invalid UTF-8 in a string")
            }
        }
        position += continuation + 1
    }

    // MARK: Numbers

    private mutating func scanNumber(parent: UInt32) throws {
        let start = position
        var flags = JSONNode.plainInteger
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, JSONText.isDigit(bytes[position]) else { throw fail("expected a digit in a number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, JSONText.isDigit(bytes[position]) { throw fail("a number with a leading zero") }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            flags = 0
            position += 1
            guard position < bytes.count, JSONText.isDigit(bytes[position]) else { throw fail("expected a digit after the decimal point") }
            skipDigits()
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            flags = 0
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, JSONText.isDigit(bytes[position]) else { throw fail("expected a digit in an exponent") }
            skipDigits()
        }
        nodes.append(JSONNode(kind: .number, flags: flags, start: UInt32(start), end: UInt32(position), count: 0,
                              next: UInt32(nodes.count + 1), parent: parent))
    }

    @inline(__always)
    private mutating func skipDigits() {
        while position < bytes.count, JSONText.isDigit(bytes[position]) { position += 1 }
    }
}

/// Where and why a document is not JSON: the underlying error of the `dataCorrupted` error.
struct JSONSyntaxError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String

    var description: String { "\(reason) at byte \(offset)" }
}
