import Foundation
@testable import JSONCoding
@testable import ProviderSimulator
@testable import Switchboard
import Testing

/// Numbers, booleans and strings: each against `JSONDecoder`, including random texts.
extension JSONBytesDecoderTests {
    @Test("integers: out of range or fractional values throw dataCorrupted; 1.0 and 1e2 are whole numbers")
    func integers() {
        let texts = ["0", "-0", "1", "-1", "1.0", "1e2", "1E2", "1.5", "-0.0", "0.1e1", "100e-2", "150e-2", "5e-1", "1e-400",
                     "127", "128", "-128", "-129", "255", "256", "255.0", "-1e-5", "32767", "32768", "2147483647", "2147483648",
                     "9007199254740993", "9007199254740993.0", "9007199254740993.5", "-9007199254740993.5", "9007199254740992.5",
                     "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                     "9223372036854775807e0", "-9223372036854775808.0", "-9223372036854775807.0", "92233720368547758070e-1",
                     "18446744073709551615", "18446744073709551616", "18446744073709551615.0", "1e16", "1e19", "1e20",
                     "1.0e16", "900719925474099300e-2", "9007199254740993.000000000000000000001", "9007199254740993.000000000000000000000",
                     "18000000000000000000000.0e-4", "9007199254740993.99999999999999999999999999999999999999999",
                     "12345678901234567890123456789", "1e400", "-1e400", "123456789012345678901234567890.5"]
        for text in texts {
            let bytes = Array(text.utf8)
            expectSame(Int.self, bytes, same: ==)
            expectSame(Int8.self, bytes, same: ==)
            expectSame(Int16.self, bytes, same: ==)
            expectSame(Int32.self, bytes, same: ==)
            expectSame(Int64.self, bytes, same: ==)
            expectSame(UInt.self, bytes, same: ==)
            expectSame(UInt8.self, bytes, same: ==)
            expectSame(UInt16.self, bytes, same: ==)
            expectSame(UInt32.self, bytes, same: ==)
            expectSame(UInt64.self, bytes, same: ==)
        }
        #expect(Self.bytesDecoder(Int.self, Array("1.5".utf8)).isDataCorrupted)
        #expect(Self.bytesDecoder(UInt8.self, Array("256".utf8)).isDataCorrupted)
        #expect(Self.bytesDecoder(Int64.self, Array("9007199254740993".utf8)).description == "value 9007199254740993")
        #expect(Self.bytesDecoder(Int.self, Array("1e2".utf8)).description == "value 100")
        // A number error names the value's place (JSONDecoder's path is empty).
        do {
            _ = try JSONBytesDecoder.decode(Fields.self, from: Array(#"{"a":1.5}"#.utf8))
            Issue.record("1.5 decoded as Int")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.codingPath.map(\.stringValue) == ["a"])
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("integers match JSONDecoder on random number texts")
    func randomIntegers() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<3000 {
            let bytes = Array(Self.randomNumber(&generator).utf8)
            expectSame(Int.self, bytes, same: ==)
            expectSame(Int64.self, bytes, same: ==)
            expectSame(UInt64.self, bytes, same: ==)
            expectSame(Int8.self, bytes, same: ==)
            expectSame(UInt32.self, bytes, same: ==)
        }
    }

    /// A valid JSON number, skewed towards the edges: long digit runs, exponents, zeros.
    static func randomNumber(_ generator: inout SplitMix64) -> String {
        func digits(_ count: Int, leading: Bool) -> String {
            var text = ""
            for index in 0..<count {
                if index == 0, leading {
                    text += String(Int.random(in: 1...9, using: &generator))
                } else {
                    text += Int.random(in: 0..<3, using: &generator) == 0 ? "0" : String(Int.random(in: 0...9, using: &generator))
                }
            }
            return text
        }
        var text = Bool.random(using: &generator) ? "-" : ""
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: text += "0"
        case 1: text += digits(Int.random(in: 1...3, using: &generator), leading: true)
        case 2: text += digits(Int.random(in: 15...21, using: &generator), leading: true)
        default: text += digits(Int.random(in: 1...45, using: &generator), leading: true)
        }
        if Int.random(in: 0..<3, using: &generator) == 0 {
            text += "." + digits(Int.random(in: 1...25, using: &generator), leading: false)
        }
        if Int.random(in: 0..<3, using: &generator) == 0 {
            text += ["e", "E", "e+", "e-", "E-"].randomElement(using: &generator) ?? "e"
            text += String(Int.random(in: 0...(Bool.random(using: &generator) ? 25 : 400), using: &generator))
        }
        return text
    }

    /// JSONDecoder rejects a zero whose text has an exponent with non-zero digits in its last
    /// bytes ("0e1", "-0.0e-7": its zero check scans the tail backwards); this decoder reads
    /// every zero as zero. True when `text` is such a zero.
    static func isZeroWithExponent(_ text: String) -> Bool {
        guard let exponent = text.firstIndex(where: { $0 == "e" || $0 == "E" }), text[..<exponent].contains("0") else { return false }
        return text[..<exponent].allSatisfy { "-0.".contains($0) } && text[text.index(after: exponent)...].contains(where: \.isNumber)
    }

    /// `text` with every number token that is a zero with an exponent written as a plain zero.
    static func replacingZeroExponents(_ text: String) -> String {
        var output = "", token = ""
        func flush() {
            output += isZeroWithExponent(token) ? (token.hasPrefix("-") ? "-0" : "0") : token
            token = ""
        }
        for character in text {
            if "-+.eE0123456789".contains(character) {
                token.append(character)
            } else {
                flush()
                output.append(character)
            }
        }
        flush()
        return output
    }

    @Test("Double and Float: from integers, nearest value, overflow and underflow throw")
    func floatingPoint() {
        let texts = ["0", "-0", "1", "-1", "0.1", "1e-7", "1.5E+3", "-0e-0", "0.000", "0e0", "0E-5", "0.0e3", "1e400", "-1e400",
                     "1e-400", "5e-324", "2e-324", "2.2250738585072011e-308", "1.7976931348623157e308", "1.8e308", "0.0e-400",
                     "123456789012345678901234567890", "0.1234567890123456789", "9007199254740993", "18446744073709551617",
                     "3.4028235e38", "3.4028236e38", "1e39", "1e-46", "1e-50", "16777217", "1.00000005960464477539062", "812.4", "0.31",
                     "1e22", "1e23", "123456789e-22", "4.9406564584124654e-324", "0.9312"]
        for text in texts {
            expectSame(Double.self, Array(text.utf8), same: { $0 == $1 && $0.sign == $1.sign })
            expectSame(Float.self, Array(text.utf8), same: { $0 == $1 && $0.sign == $1.sign })
        }
        var generator = SplitMix64(seed: 11)
        var zeros = 0
        for _ in 0..<4000 {
            let text = Self.randomNumber(&generator)
            if Self.isZeroWithExponent(text) {
                // The documented difference: JSONDecoder may reject these; this decoder reads zero.
                zeros += 1
                #expect(Self.bytesDecoder(Double.self, Array(text.utf8)).description == (text.hasPrefix("-") ? "value -0.0" : "value 0.0"))
                continue
            }
            expectSame(Double.self, Array(text.utf8), same: { $0 == $1 && $0.sign == $1.sign })
            expectSame(Float.self, Array(text.utf8), same: { $0 == $1 && $0.sign == $1.sign })
        }
        #expect(zeros > 0)
        #expect(Self.bytesDecoder(Double.self, Array("0e1".utf8)).description == "value 0.0")
        #expect(Self.bytesDecoder(Double.self, Array("1e400".utf8)).isDataCorrupted)
        #expect(Self.bytesDecoder(Double.self, Array("1e-400".utf8)).isDataCorrupted)
    }

    @Test("Bool only from true and false; strings only from strings")
    func boolsAndStrings() {
        for json in ["true", "false", "1", "0", "\"true\"", "null", "[true]", "{}"] {
            expectSame(Bool.self, json)
            expectSame(String.self, json)
            expectSame(Int.self, json)
            expectSame([Bool].self, json)
            expectSame(Bool?.self, json)
        }
    }

    @Test("strings: every escape, surrogate pairs, non-ASCII text")
    func strings() {
        for json in [#""plain""#, #""""#, #""a\"b\\c\/d\be\ff\ng\rh\ti""#, #""\u0000\u001f\u007f\u00e9\u00E9\u4e2d""#,
                     #""\ud83d\ude00 \uDBFF\uDFFF""#, #""é 漢字 🎉 \u00e9""#, "\"\u{7f}\"", #""a/b""#,
                     "\"" + String(repeating: "long text without escapes ", count: 20) + "\"",
                     "\"" + String(repeating: "ß∂ƒ©˙∆˚¬ ", count: 20) + "\\n\""] {
            expectSame(String.self, json)
        }
        // Strings built from random scalars, written by the encoder, read back exactly.
        var generator = SplitMix64(seed: 3)
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 0...30, using: &generator)).compactMap { _ -> Unicode.Scalar? in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: Unicode.Scalar(UInt32.random(in: 0..<0x80, using: &generator))
                case 1: Unicode.Scalar(UInt32.random(in: 0x80..<0x800, using: &generator))
                case 2: Unicode.Scalar(UInt32.random(in: 0x800..<0x10000, using: &generator))
                default: Unicode.Scalar(UInt32.random(in: 0x10000...0x10FFFF, using: &generator))
                }
            }
            let text = String(String.UnicodeScalarView(scalars))
            var bytes: [UInt8] = []
            JSONText.appendQuoted(text, to: &bytes)
            #expect(Self.bytesDecoder(String.self, bytes).description == "value \(text)")
            // The same text with every scalar written as a \u escape.
            var escaped = "\""
            for unit in text.utf16 { escaped += String(format: "\\u%04x", unit) }
            escaped += "\""
            expectSame(String.self, escaped)
        }
    }

    @Test("strings with random bytes: the same UTF-8 and escape checks as JSONDecoder")
    func randomStringBytes() {
        var generator = SplitMix64(seed: 5)
        let pieces: [[UInt8]] = [[0x5C, 0x75], [0x5C], [0x5C, 0x6E], Array("d83d".utf8), Array("dc00".utf8), Array("D800".utf8),
                                 [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x8E, 0x89], [0xED, 0xA0, 0x80], [0xC0, 0x80],
                                 [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFF], [0x01], [0x1F], [0x7F], [0x22], Array("ab".utf8)]
        for _ in 0..<3000 {
            var bytes: [UInt8] = [0x22]
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                if Bool.random(using: &generator) {
                    bytes += pieces.randomElement(using: &generator) ?? []
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &generator))
                }
            }
            bytes.append(0x22)
            expectSame(String.self, bytes, same: ==)
            expectSame([String].self, [0x5B] + bytes + [0x5D], same: ==)
        }
    }

    @Test("each special byte at each position of a string, across the scanner's 8-byte steps")
    func stringBytePositions() {
        for special: UInt8 in [0x00, 0x09, 0x1F, 0x20, 0x22, 0x5C, 0x7F, 0x80, 0xC3, 0xFF] {
            for position in 0..<24 {
                var content = Array("abcdefghijklmnopqrstuvwx".utf8)
                content[position] = special
                expectSame(String.self, [0x22] + content + [0x22], same: ==)
                expectSame(String.self, [0x22] + content + [0xC3, 0xA9, 0x22], same: ==)
            }
        }
    }
}
