import CCurl

extension HTTPClientError {
    /// Converts a failed transfer's libcurl result at the boundary, so callers never see C codes
    /// except as ``curlCode`` for diagnostics.
    ///
    /// - Parameter detail: libcurl's error buffer for the transfer. It names the host and port,
    ///   never request headers.
    static func fromCurl(_ result: CURLcode, detail: String, request: HTTPRequest) -> HTTPClientError {
        let code: Code
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            code = .connect
        case CURLE_OPERATION_TIMEDOUT:
            code = .timeout
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT:
            code = .invalidRequest
        default:
            code = .transport
        }
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
        return HTTPClientError(
            code: code,
            message: "\(request.method) \(request.origin): \(reason)",
            curlCode: Int(result.rawValue)
        )
    }
}
