/// A failure of the Postgres client layer, converted at the libpq boundary.
///
/// `code` is for branching, `sqlState` carries the server's SQLSTATE (`23505`, `42P01`, ...)
/// for `.server` errors, and ``description`` reads like
/// `postgres 127.0.0.1:5432: 42P01 relation "x" does not exist`.
struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: String, Sendable {
        /// The server could not be reached or the connection broke.
        case connectionFailed = "connection_failed"
        /// The server answered the statement with an error (see `sqlState`).
        case server
        /// libpq returned something the layer does not expect, or ran out of memory.
        case protocolError = "protocol_error"
        /// The client was shut down before the work ran.
        case closed
        /// Too much work was already waiting for a connection; failed fast.
        case overloaded
    }

    let code: Code
    let message: String
    /// Five characters; nil unless `code == .server`.
    let sqlState: String?
    /// The server as `host:port`.
    let address: String
    /// Where the failing client call was made (`#fileID`, `#line`).
    var file: String
    var line: UInt

    init(_ code: Code, _ message: String, sqlState: String? = nil, address: String,
         file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.address = address
        self.file = file
        self.line = line
    }

    /// Whether the same work may succeed later: lost connections, overload, and the server's
    /// transient classes (serialisation failures and deadlocks, class 40; shutdown, 57P0x).
    var isRetriable: Bool {
        switch code {
        case .connectionFailed, .overloaded: return true
        case .server:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("40") || sqlState.hasPrefix("57P0") || sqlState.hasPrefix("08")
        case .protocolError, .closed: return false
        }
    }

    var description: String {
        if let sqlState { return "postgres \(address): \(sqlState) \(message)" }
        return "postgres \(address): \(message)"
    }

    func located(file: String, line: UInt) -> PostgresError {
        var copy = self
        copy.file = file
        copy.line = line
        return copy
    }
}
