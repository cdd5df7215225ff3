import CLibpq
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The rows of one statement's result, copied out of libpq's memory (text format).
struct PostgresRows: Sendable, Equatable {
    var columns: [String] = []
    /// One array per row, one value per column; nil for SQL NULL.
    var rows: [[String?]] = []
    /// The count a command reports (`DELETE 3` gives 3); 0 when it reports none.
    var affected: Int = 0

    /// The first column of the first row, if any.
    var scalar: String? { rows.first?.first ?? nil }
}

/// One blocking libpq connection: the sole owner of its `PGconn`.
///
/// Not `Sendable`: created, used and finished on one ``PostgresWorker`` thread, because a
/// `PGconn` must not be used by two threads at once and every call on it blocks. Results are
/// copied into ``PostgresRows`` before `PQclear`, so no C pointer outlives a call.
final class PostgresConnection {
    private let handle: OpaquePointer
    let address: String

    /// Connects to `url` (a `postgresql://` URI or a `key=value` string).
    ///
    /// `PQconnectdbParams` expands the URL (`expand_dbname`) and lets the later keywords add the
    /// connect timeout and the application name without editing the user's string.
    init(url: String, connectTimeout: Int, applicationName: String) throws(PostgresError) {
        let keywords = ["dbname", "connect_timeout", "application_name"]
        let values = [url, String(max(1, connectTimeout)), applicationName]
        let connection: OpaquePointer? = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.protocolError, "out of memory allocating a connection", address: Self.describe(url))
        }
        // libpq returns a PGconn even when connecting failed; it must be finished either way.
        let address = Self.address(of: connection, fallback: Self.describe(url))
        guard PQstatus(connection) == CONNECTION_OK else {
            let text = Self.errorText(connection)
            PQfinish(connection)
            throw PostgresError(.connectionFailed, text, address: address)
        }
        self.handle = connection
        self.address = address
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether libpq saw the connection fail; the worker then opens a new one.
    var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Runs one statement with text parameters (`$1`, `$2`, ...; nil is SQL NULL) and returns
    /// its rows. Parameters never become SQL text, so no value needs quoting.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        if parameters.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(.server, "a parameter contains a NUL character", sqlState: "22021", address: address)
        }
        let raw: OpaquePointer? = Self.withOptionalCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard let result = raw else {
            throw PostgresError(.connectionFailed, Self.errorText(handle), address: address)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return Self.copyRows(result)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
            let state = Self.field(result, "C")
            let primary = Self.field(result, "M") ?? Self.errorText(handle)
            if isBroken || state == nil || state?.hasPrefix("08") == true {
                throw PostgresError(.connectionFailed, primary, sqlState: state, address: address)
            }
            var message = primary
            if let detail = Self.field(result, "D") { message += " (\(detail))" }
            throw PostgresError(.server, message, sqlState: state, address: address)
        default:
            let status = String(cString: PQresStatus(PQresultStatus(result)))
            throw PostgresError(.protocolError, "unexpected result status \(status)", address: address)
        }
    }

    /// Runs `body` inside `BEGIN` ... `COMMIT`, rolling back when it throws. A failed `COMMIT`
    /// throws, so a caller that returns normally knows the transaction is durable.
    func transaction<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Copying out of libpq

    private static func copyRows(_ result: OpaquePointer) -> PostgresRows {
        var rows = PostgresRows()
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        rows.columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        rows.rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
            rows.rows.append(values)
        }
        if let tuples = PQcmdTuples(result) {
            rows.affected = Int(String(cString: tuples)) ?? 0
        }
        return rows
    }

    /// One field of an error result (`C` SQLSTATE, `M` message, `D` detail).
    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let text = PQresultErrorField(result, Int32(code.value)) else { return nil }
        return String(cString: text)
    }

    private static func errorText(_ connection: OpaquePointer) -> String {
        guard let text = PQerrorMessage(connection) else { return "unknown error" }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? "unknown error" : message.replacingOccurrences(of: "\n\t", with: " ")
    }

    private static func address(of connection: OpaquePointer, fallback: String) -> String {
        guard let host = PQhost(connection), let port = PQport(connection) else { return fallback }
        let hostText = String(cString: host)
        let portText = String(cString: port)
        if hostText.isEmpty { return fallback }
        return portText.isEmpty ? hostText : "\(hostText):\(portText)"
    }

    /// The URL without its password, for messages about a connection that has no host yet.
    static func describe(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "(connection string)" }
        var rest = url[schemeEnd.upperBound...]
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest.prefix { $0 != "/" && $0 != "?" })
    }

    // MARK: - C strings

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        withOptionalCStrings(strings.map { Optional($0) }) { pointers in
            body(pointers + [nil])
        }
    }

    /// Hands `body` one C string per element (NULL for nil), valid only during the call.
    private static func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { string in string.flatMap { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
