/// The single error type of this module.
///
/// `code` is stable and meant for branching; `message` is for humans and logs.
/// ``description`` reads like `redis 127.0.0.1:6379: connection refused`.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable classification of a failure.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The server could not be reached, or the connection broke (refused, reset,
        /// closed by the server, DNS failure).
        case connectionFailed
        /// Connecting or waiting for a reply took longer than the configured timeout.
        case timeout
        /// The server answered with an error reply (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...).
        case server
        /// The reply could not be parsed, or the command itself was malformed (empty).
        case protocolError
        /// The client was shut down before or while the command was waiting.
        case closed
        /// Too many commands were already waiting for a connection; failed fast.
        case overloaded
        /// The calling task was cancelled while the command was still queued.
        case cancelled
    }

    /// What kind of failure this is.
    public let code: Code
    /// Human-readable detail, without the address (see ``description``).
    public let message: String
    /// The server as `host:port`.
    public let address: String
    /// Source file of the client call that failed (`#fileID`).
    public internal(set) var file: String
    /// Source line of the client call that failed.
    public internal(set) var line: UInt

    /// Creates an error; `file`/`line` default to the throw site and are replaced by
    /// the caller's location when the error leaves ``RedisClient``.
    public init(_ code: Code, _ message: String, address: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.address = address
        self.file = file
        self.line = line
    }

    /// Whether the same call may succeed if tried again later.
    ///
    /// True for connection failures, timeouts, overload, and server replies that
    /// announce a transient state (`LOADING`, `BUSY`, `TRYAGAIN`, `MASTERDOWN`,
    /// `CLUSTERDOWN`). A timed-out command may already have run on the server, so
    /// retry only idempotent commands (or scripts written to be idempotent).
    public var isRetriable: Bool {
        switch code {
        case .connectionFailed, .timeout, .overloaded:
            return true
        case .server:
            let prefix = message.prefix { $0 != " " }
            return ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"].contains(String(prefix))
        case .protocolError, .closed, .cancelled:
            return false
        }
    }

    /// `redis <address>: <message>`.
    public var description: String { "redis \(address): \(message)" }

    /// The server's error prefix (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...) for `.server`
    /// errors; `nil` otherwise.
    public var serverErrorPrefix: String? {
        guard code == .server else { return nil }
        return String(message.prefix { $0 != " " })
    }

    /// A copy attributed to the caller's source location.
    func located(file: String, line: UInt) -> RedisError {
        var copy = self
        copy.file = file
        copy.line = line
        return copy
    }
}
