import Foundation

extension JSONText {
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The string a scanned string literal stands for (`escaped` are the bytes between its quotes).
    static func unescape(_ escaped: UnsafeBufferPointer<UInt8>) -> String {
        // Escapes never encode to more bytes than they take, so the text fits in `escaped.count`.
        String(unsafeUninitializedCapacity: escaped.count) { output in
            var read = 0, written = 0
            func put(_ byte: UInt8) {
                output[written] = byte
                written += 1
            }
            while read < escaped.count {
                let byte = escaped[read]
                guard byte == UInt8(ascii: "\\"), read + 1 < escaped.count else {
                    put(byte)
                    read += 1
                    continue
                }
                let kind = escaped[read + 1]
                read += 2
                switch kind {
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    var scalar = UInt32(hexUnit(escaped, at: read))
                    read += 4
                    if UTF16.isLeadSurrogate(UInt16(truncatingIfNeeded: scalar)), read + 6 <= escaped.count {
                        let trail = UInt32(hexUnit(escaped, at: read + 2))
                        read += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (trail - 0xDC00)
                    }
                    switch scalar {
                    case ..<0x80:
                        put(UInt8(scalar))
                    case ..<0x800:
                        put(0xC0 | UInt8(scalar >> 6))
                        put(0x80 | UInt8(scalar & 0x3F))
                    case ..<0x10000:
                        put(0xE0 | UInt8(scalar >> 12))
                        put(0x80 | UInt8(scalar >> 6 & 0x3F))
                        put(0x80 | UInt8(scalar & 0x3F))
                    default:
                        put(0xF0 | UInt8(scalar >> 18))
                        put(0x80 | UInt8(scalar >> 12 & 0x3F))
                        put(0x80 | UInt8(scalar >> 6 & 0x3F))
                        put(0x80 | UInt8(scalar & 0x3F))
                    }
                default: put(kind) // \" \\ \/
                }
            }
            return written
        }
    }

    /// Four hex digits the scanner has checked.
    private static func hexUnit(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt16 {
        var unit: UInt16 = 0
        for index in offset..<min(offset + 4, bytes.count) { unit = unit << 4 | UInt16(hexValue(bytes[index]) ?? 0) }
        return unit
    }
}

/// Converts scanned number text the way `JSONDecoder` does.
enum JSONNumberText {
    /// The nearest `Double`, correctly rounded; ±infinity when it overflows, ±0 when it underflows.
    static func double(_ text: UnsafeBufferPointer<UInt8>) -> Double {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        // Up to 19 significant digits exactly; further ones only move the exponent.
        var significand: UInt64 = 0, digits = 0, exponent = 0
        var exact = true
        while index < text.count, JSONText.isDigit(text[index]) {
            let digit = UInt64(text[index] &- UInt8(ascii: "0"))
            if digits < 19 {
                significand = significand &* 10 &+ digit
                if significand != 0 { digits += 1 }
            } else {
                exponent += 1
                if digit != 0 { exact = false }
            }
            index += 1
        }
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.count, JSONText.isDigit(text[index]) {
                let digit = UInt64(text[index] &- UInt8(ascii: "0"))
                if digits < 19 {
                    significand = significand &* 10 &+ digit
                    if significand != 0 { digits += 1 }
                    exponent -= 1
                } else if digit != 0 {
                    exact = false
                }
                index += 1
            }
        }
        exponent += exponentPart(text, from: &index)
        if significand == 0 { return negative ? -0.0 : 0.0 }
        // Clinger's fast path: both operands are exact doubles, so one rounding gives the
        // correctly rounded result.
        if exact, significand <= 1 << 53, exponent >= -22, exponent <= 22 {
            var value = Double(significand)
            if exponent < 0 { value /= powersOfTen[-exponent] } else { value *= powersOfTen[exponent] }
            return negative ? -value : value
        }
        return Double(String(decoding: text, as: UTF8.self)) ?? .nan
    }

    private static let powersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { value, _ in value * 10 } }

    /// The value as `T`, nil when it is not representable: `JSONDecoder`'s check that the number
    /// neither overflows to infinity nor underflows to zero from non-zero digits.
    /// The value of an `e`/`E` exponent starting at `index` (0 when there is none), moving
    /// `index` past it. Its magnitude is capped at 100,000: far beyond any finite `Double`.
    private static func exponentPart(_ text: UnsafeBufferPointer<UInt8>, from index: inout Int) -> Int {
        guard index < text.count, text[index] | 0x20 == UInt8(ascii: "e") else { return 0 }
        index += 1
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var value = 0
        while index < text.count, JSONText.isDigit(text[index]) {
            if value < 100_000 { value = value * 10 + Int(text[index] &- UInt8(ascii: "0")) }
            index += 1
        }
        return negative ? -value : value
    }

    static func floatingPoint<T: BinaryFloatingPoint>(_ text: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
        let value: T
        if T.self == Double.self {
            value = T(double(text))
        } else if T.self == Float.self {
            // Parsed straight to Float: via Double it could round twice.
            value = T(Float(String(decoding: text, as: UTF8.self)) ?? .nan)
        } else {
            value = T(double(text))
        }
        guard value.isFinite else { return nil }
        if value == 0, hasNonZeroSignificand(text) { return nil }
        return value
    }

    private static func hasNonZeroSignificand(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in text {
            if byte | 0x20 == UInt8(ascii: "e") { return false }
            if byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") { return true }
        }
        return false
    }

    /// The value as `T`, nil when out of range or not a whole number, as `JSONDecoder` decides:
    /// integer text is read exactly; other text goes through `Double`, and when that is 2^53 or
    /// more, through the exact decimal digits (the fraction truncated, as Foundation's `Decimal`
    /// conversion does).
    static func integer<T: FixedWidthInteger>(_ text: UnsafeBufferPointer<UInt8>, plain: Bool, as type: T.Type) -> T? {
        if plain { return plainInteger(text, as: T.self) }
        let value = double(text)
        guard let integer = T(exactly: value) else { return nil }
        if value.magnitude < 9_007_199_254_740_992 { return integer }
        return decimalInteger(text, as: T.self)
    }

    private static func plainInteger<T: FixedWidthInteger>(_ text: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
        let negative = text.first == UInt8(ascii: "-")
        let digitsStart = negative ? 1 : 0
        guard text.count - digitsStart <= 18 else {
            return T(String(decoding: text, as: UTF8.self))
        }
        var magnitude: Int64 = 0
        for index in digitsStart..<text.count { magnitude = magnitude &* 10 &+ Int64(text[index] &- UInt8(ascii: "0")) }
        return T(exactly: negative ? -magnitude : magnitude)
    }

    /// Foundation's `Decimal` route: the significand as the digits that fit in 128 bits, trailing
    /// zeros dropped, must fit in 64 bits; then scaled by the exponent, truncating.
    private static func decimalInteger<T: FixedWidthInteger>(_ text: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var significand: UInt128 = 0, exponent = 0, full = false
        func add(_ byte: UInt8) -> Bool {
            guard !full else { return false }
            let (shifted, overflow) = significand.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(UInt128(byte &- UInt8(ascii: "0")))
            if overflow || carry {
                full = true
                return false
            }
            significand = sum
            return true
        }
        while index < text.count, JSONText.isDigit(text[index]) {
            if !add(text[index]) { exponent += 1 }
            index += 1
        }
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            while index < text.count, JSONText.isDigit(text[index]) {
                if add(text[index]) { exponent -= 1 }
                index += 1
            }
        }
        exponent += exponentPart(text, from: &index)
        while significand != 0, significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        guard var magnitude = UInt64(exactly: significand) else { return nil }
        if exponent < 0 {
            for _ in 0..<min(-exponent, 20) { magnitude /= 10 }
        } else if magnitude != 0 {
            for _ in 0..<min(exponent, 20) {
                let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                magnitude = product
            }
        }
        guard let value = T(exactly: magnitude) else { return nil }
        guard negative else { return value }
        guard T.isSigned else { return nil }
        return 0 - value
    }
}
