/// One argument of a command, already encoded to the bytes sent on the wire.
///
/// Everything is sent as a binary-safe bulk string (hiredis' `*Argv` API takes an
/// explicit length per argument), so keys and values may contain NUL bytes or
/// non-UTF-8 data.
public struct RedisArgument: Sendable, Hashable {
    /// The exact bytes sent to the server.
    public let bytes: [UInt8]

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    /// Raw bytes, sent unchanged.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The decimal form Redis expects for integers (`"-42"`).
    public init(_ integer: Int) {
        bytes = Array(String(integer).utf8)
    }

    /// A float in a form Redis parses (`"1.5"`, `"1e-05"`, `"inf"`, `"-inf"`).
    /// NaN is sent as `"nan"`, which Redis rejects with an error reply.
    public init(_ double: Double) {
        bytes = Array(String(double).utf8)
    }
}

extension RedisArgument: ExpressibleByStringLiteral {
    /// Lets commands be written as `["SET", key, value]`.
    public init(stringLiteral value: String) {
        self.init(value)
    }
}

extension RedisArgument: ExpressibleByIntegerLiteral {
    /// Lets counts be written inline: `["EXPIRE", key, 60]`.
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension RedisArgument: CustomStringConvertible {
    /// The argument as text when it is UTF-8, else its byte count; used for the
    /// command name in errors (argument values are never logged, they may be secrets).
    public var description: String {
        String(validating: bytes, as: UTF8.self) ?? "<\(bytes.count) bytes>"
    }
}
