/// A request for ``HTTPClient``.
public struct HTTPRequest: Sendable {
    /// The request method, such as `GET` or `POST`.
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// The header fields to send. `Expect: 100-continue` is never sent, whatever is set here.
    public var headers: HTTPHeaders
    /// The request body, or `nil` for none.
    public var body: [UInt8]?
    /// How long establishing the connection may take, DNS and TLS included.
    public var connectTimeout: Duration
    /// How long the whole exchange may take, from start to the last byte of the body.
    /// For a streamed response this covers the whole stream.
    public var timeout: Duration

    /// Creates a request.
    public init(
        method: String = "GET",
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8]? = nil,
        connectTimeout: Duration = .seconds(2),
        timeout: Duration = .seconds(60)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// The scheme, host and port of ``url``, without user information, path or query.
    /// Error messages and logs use this, because the rest of a URL may carry secrets.
    public var origin: String {
        var rest = Substring(url)
        var scheme = ""
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            scheme = String(rest[..<colon]) + "://"
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            rest = rest[..<end]
        }
        if let at = rest.lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
        }
        return scheme + rest
    }

    /// Rejects what libcurl would misread: a C string stops at NUL, and CR or LF in a header
    /// would let a value inject further header lines.
    func validate() throws(HTTPClientError) {
        guard !url.isEmpty, !url.utf8.contains(0) else {
            throw HTTPClientError(code: .invalidRequest, message: "\(method) \(origin): the URL is empty or holds a NUL byte")
        }
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPClientError(code: .invalidRequest, message: "\(origin): invalid request method")
        }
        for field in headers {
            let forbidden: (UInt8) -> Bool = { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
            if field.name.isEmpty || field.name.utf8.contains(where: { forbidden($0) || $0 == 0x3A || $0 == 0x20 }) {
                throw HTTPClientError(code: .invalidRequest, message: "\(method) \(origin): invalid header name '\(field.name)'")
            }
            if field.value.utf8.contains(where: forbidden) {
                // The name is safe to show; the value may be a credential.
                throw HTTPClientError(code: .invalidRequest, message: "\(method) \(origin): header '\(field.name)' has a control character in its value")
            }
        }
    }
}
