/// The one error ``HTTPClient`` throws.
///
/// Messages name the method and the origin (scheme, host, port) of the request, never its
/// path, query or headers, because those may carry API keys.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// A stable classification of the failure, for callers that decide what to do next.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The connection could not be made: the host did not resolve, or refused.
        /// The request was not sent.
        public static let connect = Code("connect")
        /// The connect timeout or the whole-exchange timeout ran out.
        public static let timeout = Code("timeout")
        /// The calling task was cancelled, or the body stream was dropped.
        public static let cancelled = Code("cancelled")
        /// The client was shut down before the transfer finished.
        public static let shutdown = Code("shutdown")
        /// The request cannot be sent as given: a malformed URL, an unsupported scheme, a
        /// header with control characters.
        public static let invalidRequest = Code("invalidRequest")
        /// The response body was larger than the configured limit.
        public static let responseTooLarge = Code("responseTooLarge")
        /// The exchange failed after connecting: a reset, a truncated body, a TLS failure.
        /// ``HTTPClientError/curlCode`` holds libcurl's code.
        public static let transport = Code("transport")

        /// The code's name, such as `timeout`.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation naming the request's method and origin.
    public var message: String
    /// libcurl's result code (`CURLcode`), when libcurl reported the failure.
    public var curlCode: Int?
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error.
    public init(code: Code, message: String, curlCode: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
        self.file = file
        self.line = line
    }

    /// Whether sending the same request again may succeed. The caller still decides whether
    /// the request is safe to repeat: after a timeout or a transport error the server may
    /// already have acted on it.
    public var isRetriable: Bool {
        switch code {
        case .connect, .timeout, .transport: true
        default: false
        }
    }

    /// The code and the message.
    public var description: String {
        "HTTPClientError.\(code): \(message)"
    }
}
