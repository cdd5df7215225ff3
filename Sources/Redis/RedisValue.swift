/// A reply from the server, copied out of hiredis' reply object so that it owns
/// its bytes and can cross threads freely.
///
/// Bulk strings stay raw bytes because Redis values are binary-safe; use
/// ``string`` only when the value is known to be text.
public enum RedisValue: Sendable, Equatable, Hashable {
    /// A bulk string (`$`), byte for byte as stored.
    case bulk([UInt8])
    /// A simple status reply (`+OK`, `+PONG`, `+QUEUED`).
    case status(String)
    /// An integer reply (`:`).
    case integer(Int)
    /// A multi-bulk reply (`*`), possibly nested.
    case array([RedisValue])
    /// The null bulk string or null array (`$-1`, `*-1`), e.g. `GET` of a missing key.
    case null
    /// An error reply (`-ERR ...`). ``RedisClient/send(_:file:line:)`` throws these
    /// instead; they appear as values only inside pipeline results and arrays.
    case error(String)

    /// Text of a bulk (only if it is valid UTF-8) or status reply; `nil` otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (as `GET` of a
    /// counter returns); `nil` otherwise.
    public var int: Int? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self).flatMap { Int($0) }
        default: nil
        }
    }

    /// The elements of an array reply; `nil` for any other kind.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The raw bytes of a bulk reply, or the UTF-8 bytes of a status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// `true` for the null reply.
    public var isNull: Bool { self == .null }

    /// The message of an error reply; `nil` for any other kind.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}

extension RedisValue: CustomStringConvertible {
    /// A compact, redis-cli-like rendering for logs and test failures.
    /// Binary bulk strings are shown as a byte count rather than garbage.
    public var description: String {
        switch self {
        case .bulk(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) { return "\"\(text)\"" }
            return "<\(bytes.count) bytes>"
        case .status(let text): return text
        case .integer(let value): return "(integer) \(value)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(nil)"
        case .error(let message): return "(error) \(message)"
        }
    }
}

extension RedisValue: ExpressibleByStringLiteral {
    /// A bulk string holding the literal's UTF-8 bytes, so tests and callers can
    /// compare replies with `== "value"`.
    public init(stringLiteral value: String) {
        self = .bulk(Array(value.utf8))
    }
}
