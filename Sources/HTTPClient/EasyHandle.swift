import CCurl

/// Owns one libcurl easy handle and its error buffer.
///
/// Confined to the transfer loop thread: libcurl allows an easy handle to be used by one
/// thread at a time only, so this type is deliberately not `Sendable`. Handles are reset and
/// reused between transfers to save their setup; connections live in the multi handle's
/// cache, not here, so reuse of connections does not depend on reuse of handles.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Returns nil when libcurl cannot allocate a handle.
    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// libcurl's description of the last failure, naming host and port at most.
    var errorMessage: String {
        String(cString: errorBuffer)
    }

    /// The status code libcurl recorded for the last response.
    var responseCode: Int {
        var code = 0
        _ = sb_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Clears all options so the handle can serve another transfer. Live connections, the
    /// DNS cache and TLS sessions survive a reset.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
    }

    /// Configures the handle for `transfer`. The transfer must stay alive, and attached to
    /// this handle, until the handle is removed from the multi handle: callbacks receive it
    /// as an unretained pointer.
    func prepare(for transfer: Transfer) throws(HTTPClientError) {
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        errorBuffer[0] = 0

        try check(sb_easy_setopt_str(raw, CURLOPT_URL, request.url), "URL", request)
        // Only HTTP(S): a URL from configuration must never make the gateway read file:// etc.
        try check(sb_easy_setopt_str(raw, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols", request)
        // Signals are process-wide and unsafe with many threads; time-outs use the poll loop.
        try check(sb_easy_setopt_long(raw, CURLOPT_NOSIGNAL, 1), "nosignal", request)
        try check(sb_easy_setopt_long(raw, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)), "connect timeout", request)
        try check(sb_easy_setopt_long(raw, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)), "timeout", request)
        try check(sb_easy_setopt_long(raw, CURLOPT_TCP_KEEPALIVE, 1), "keepalive", request)
        try check(sb_easy_setopt_ptr(raw, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer", request)
        try check(sb_easy_setopt_ptr(raw, CURLOPT_PRIVATE, context), "private", request)
        try check(sb_easy_setopt_ptr(raw, CURLOPT_WRITEDATA, context), "write data", request)
        try check(sb_easy_setopt_ptr(raw, CURLOPT_HEADERDATA, context), "header data", request)
        try check(sb_easy_setopt_write_cb(raw) { buffer, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
        }, "write callback", request)
        try check(sb_easy_setopt_header_cb(raw) { buffer, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }, "header callback", request)

        try setMethodAndBody(request)
        transfer.headerList = Self.headerList(for: request)
        try check(sb_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, transfer.headerList), "headers", request)
    }

    private func setMethodAndBody(_ request: HTTPRequest) throws(HTTPClientError) {
        let method = request.method.uppercased()
        var body = request.body
        if body == nil && method == "POST" { body = [] }  // a bodiless POST still sends Content-Length: 0
        if let body {
            try check(sb_easy_setopt_off_t(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size", request)
            // COPYPOSTFIELDS makes libcurl keep its own copy, so the Swift array need not outlive this call.
            let code = body.withUnsafeBytes { bytes in
                sb_easy_setopt_ptr(raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)))
            }
            try check(code, "body", request)
            if method != "POST" {
                try check(sb_easy_setopt_str(raw, CURLOPT_CUSTOMREQUEST, request.method), "method", request)
            }
        } else if method == "GET" {
            try check(sb_easy_setopt_long(raw, CURLOPT_HTTPGET, 1), "method", request)
        } else if method == "HEAD" {
            try check(sb_easy_setopt_long(raw, CURLOPT_NOBODY, 1), "method", request)
        } else {
            try check(sb_easy_setopt_str(raw, CURLOPT_CUSTOMREQUEST, request.method), "method", request)
        }
    }

    /// Builds libcurl's header list. Two fields are always overridden unless the caller set
    /// them: `Expect` (a 100-continue round trip only adds latency towards our providers) and
    /// `Content-Type` (libcurl would otherwise claim form encoding for every body).
    private static func headerList(for request: HTTPRequest) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers where !HTTPHeaders.namesMatch(field.name, "expect") {
            // "Name;" is libcurl's syntax for a field with an empty value; "Name:" would remove it.
            let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
            list = curl_slist_append(list, line)
        }
        list = curl_slist_append(list, "Expect:")
        if request.body != nil && !request.headers.contains("content-type") {
            list = curl_slist_append(list, "Content-Type:")
        }
        return list
    }

    private func check(_ code: CURLcode, _ what: String, _ request: HTTPRequest) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError.fromCurl(code, detail: "cannot set \(what): \(String(cString: curl_easy_strerror(code)))", request: request)
        }
    }

    /// libcurl reads 0 as "no limit", so a positive duration never rounds down to 0.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int.max }
        return max(1, Int(total.partialValue + attoseconds / 1_000_000_000_000_000))
    }
}
