import Crypto
import Foundation

/// What identifies a cached answer: a SHA-256 over the tenant, the resolved model, the
/// canonical messages, every parameter that changes the output and the retrieval context
/// with its index version. The semantic bucket is the same hash without the last user turn:
/// prompts in one bucket differ only in the question, so only the question is compared.
///
/// `stream` is left out on purpose: a streamed and a plain request get the same answer.
public struct CacheKey: Sendable, Equatable {
    /// Hex digest of everything.
    public var exact: String
    /// Hex digest of everything but the last user turn.
    public var bucket: String
    /// The last user turn, the text a semantic match compares.
    public var lastUserTurn: String?
    /// The index version of the retrieval context ("" without retrieval).
    public var indexVersion: String

    public init(task: CompletionTask, model: String) {
        let request = task.request
        let lastUser = request.messages.lastIndex { $0.role == "user" }
        var shared = CanonicalBytes()
        shared.field("v1")  // the key format; bump to drop every old entry at once
        shared.field(task.principal.tenant)
        shared.field(model)
        shared.field(request.temperature.map { "\($0)" } ?? "-")
        shared.field(request.topP.map { "\($0)" } ?? "-")
        shared.field(request.maxTokens.map { "\($0)" } ?? "-")
        shared.field(request.stop.map { $0.values.joined(separator: "\u{1F}") } ?? "-")
        if let asked = request.retrieval {
            shared.field(asked.collection)
            shared.field(asked.topK.map { "\($0)" } ?? "-")
            shared.field(asked.filter.map { String(decoding: EventCoding.encode($0), as: UTF8.self) } ?? "-")
        } else {
            shared.field("-")
        }
        indexVersion = task.retrieval?.indexVersion ?? ""
        shared.field(task.retrieval.map { $0.collection + "@" + $0.indexVersion } ?? "-")
        var context = shared
        var all = shared
        for (index, message) in request.messages.enumerated() {
            let content = Self.canonical(message.content)
            all.field(message.role)
            all.field(content)
            if index == lastUser {
                context.field("<question>")
            } else {
                context.field(message.role)
                context.field(content)
            }
        }
        exact = all.digest()
        bucket = context.digest()
        lastUserTurn = lastUser.map { request.messages[$0].content }
    }

    /// Line endings and surrounding whitespace never change an answer.
    static func canonical(_ text: String) -> String {
        // Most prompts have no carriage return and start and end with a visible ASCII
        // character: nothing to change, and no pass through Foundation over the whole text.
        var utf8 = text
        let unchanged = utf8.withUTF8 { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last else { return true }
            return (0x21...0x7F).contains(first) && (0x21...0x7F).contains(last) && !bytes.contains(0x0D)
        }
        return unchanged ? text : canonicalThroughFoundation(text)
    }

    static func canonicalThroughFoundation(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Length-prefixed fields, so no two different field lists give the same bytes.
struct CanonicalBytes {
    private var bytes: [UInt8] = []

    mutating func field(_ text: String) {
        let utf8 = Array(text.utf8)
        var count = UInt32(utf8.count).littleEndian
        withUnsafeBytes(of: &count) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    func digest() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
