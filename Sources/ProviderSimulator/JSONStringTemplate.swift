import Foundation
import Hummingbird
import JSONCoding

/// An encoded JSON value with one string field left open.
///
/// Streamed events differ only in their text, and running an encoder once per event cost
/// more than everything else in a stream; a template encodes once and splices each text in.
struct JSONStringTemplate: Sendable {
    private let prefix: [UInt8]
    private let suffix: [UInt8]

    /// The marker that `value` holds in the open field. It must occur once in the encoding.
    static let placeholder = "\u{1}open-field\u{1}"

    /// - Parameter value: a value whose open string field is set to ``placeholder``.
    init(_ value: some Encodable) throws {
        let encoded = try StreamingJSONEncoder.encode(value)
        let marker = try StreamingJSONEncoder.encode(Self.placeholder)
        guard let start = Self.firstRange(of: marker, in: encoded) else {
            throw SimulatorRequestError(status: 500, message: "template placeholder not found")
        }
        prefix = Array(encoded[..<start])
        suffix = Array(encoded[(start + marker.count)...])
    }

    /// Appends the value with `text` in the open field.
    func write(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeBytes(prefix)
        Self.writeQuoted(text, into: &buffer)
        buffer.writeBytes(suffix)
    }

    /// Writes `text` as a JSON string literal (RFC 8259: escape quote, backslash and control
    /// characters; other UTF-8 passes through).
    static func writeQuoted(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// Frames events whose payloads come from one template: one `data:` line per text.
func serverSentEvents(_ texts: [String], template: JSONStringTemplate, event: String? = nil) -> [ByteBuffer] {
    texts.map { text in
        var buffer = ByteBuffer()
        if let event { buffer.writeString("event: \(event)\n") }
        buffer.writeStaticString("data: ")
        template.write(text, into: &buffer)
        buffer.writeStaticString("\n\n")
        return buffer
    }
}
