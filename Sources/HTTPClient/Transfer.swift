import CCurl

/// The state of one exchange: the request, the response as it arrives, and where to deliver it.
///
/// A transfer is created by the calling task and handed to the transfer loop under its lock;
/// from then on only the loop thread touches it (libcurl calls its callbacks from
/// `curl_multi_perform` on that thread). That confinement is why it is `@unchecked Sendable`.
final class Transfer: @unchecked Sendable {
    /// Where the response goes once it is known.
    enum Delivery {
        /// ``HTTPClient/execute(_:)``: the whole response at the end.
        case buffered(CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>)
        /// ``HTTPClient/stream(_:)``: the head as soon as it ends, then body chunks.
        case streaming(CheckedContinuation<Result<HTTPStreamingResponse, HTTPClientError>, Never>)
    }

    let id: UInt64
    let request: HTTPRequest
    private let maxBodySize: Int
    private let cancelStream: @Sendable (UInt64) -> Void

    /// Set until the response (buffered) or its head (streaming) has been handed over.
    private var delivery: Delivery?
    /// Set once a streamed head has been handed over, until the body ends.
    private var bodyContinuation: AsyncThrowingStream<[UInt8], any Error>.Continuation?

    private var status = 0
    private var headers = HTTPHeaders()
    private var headComplete = false
    private var body: [UInt8] = []
    private var bodyLimitExceeded = false

    /// The easy handle running this transfer while it is attached to the multi handle.
    var easy: EasyHandle?
    /// Request header list given to libcurl, which does not copy it; freed when detached.
    var headerList: UnsafeMutablePointer<curl_slist>?

    init(
        id: UInt64,
        request: HTTPRequest,
        delivery: Delivery,
        maxBodySize: Int,
        cancelStream: @escaping @Sendable (UInt64) -> Void
    ) {
        self.id = id
        self.request = request
        self.delivery = delivery
        self.maxBodySize = maxBodySize
        self.cancelStream = cancelStream
    }

    deinit {
        curl_slist_free_all(headerList)
    }

    /// Handles one header line from libcurl (status line, field, or the blank line ending a
    /// head). The bytes are copied before returning: libcurl reuses its buffer.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        guard !headComplete else { return }  // trailers after a chunked body are not kept
        if line.starts(with: "HTTP/".utf8) {
            // A new head, e.g. after `100 Continue` or `103 Early Hints`.
            status = Self.parseStatus(line)
            headers = HTTPHeaders()
            return
        }
        let content = Self.trimmed(line[...])
        if content.isEmpty {
            guard status >= 200 else { return }  // an interim 1xx head: the final one follows
            headComplete = true
            if case .streaming = delivery { deliverStreamingHead() }
            return
        }
        guard let colon = content.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: Self.trimmed(content[..<colon]), as: UTF8.self)
        let value = String(decoding: Self.trimmed(content[(colon + 1)...]), as: UTF8.self)
        headers.add(name: name, value: value)
        if case .buffered = delivery, HTTPHeaders.namesMatch(name, "content-length"), let length = Int(value) {
            body.reserveCapacity(min(length, maxBodySize))
        }
    }

    /// Handles body bytes from libcurl. Returns false to make libcurl abort the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let bodyContinuation {
            if case .terminated = bodyContinuation.yield(Array(bytes)) { return false }
            return true
        }
        guard body.count + bytes.count <= maxBodySize else {
            bodyLimitExceeded = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Finishes the transfer with libcurl's result.
    func complete(_ result: CURLcode, curlDetail: String, responseCode: Int) {
        guard result == CURLE_OK else {
            if bodyLimitExceeded {
                fail(HTTPClientError(
                    code: .responseTooLarge,
                    message: "\(request.method) \(request.origin): response body exceeds \(maxBodySize) bytes"))
            } else {
                fail(HTTPClientError.fromCurl(result, detail: curlDetail, request: request))
            }
            return
        }
        if status == 0 { status = responseCode }
        switch delivery {
        case .buffered(let continuation):
            delivery = nil
            continuation.resume(returning: .success(HTTPResponse(status: status, headers: headers, body: body)))
        case .streaming:
            deliverStreamingHead()  // a head without the blank line should not happen; be safe
            bodyContinuation?.finish()
        case nil:
            bodyContinuation?.finish()
        }
        bodyContinuation = nil
    }

    /// Finishes the transfer with an error, wherever it stands.
    func fail(_ error: HTTPClientError) {
        switch delivery {
        case .buffered(let continuation):
            continuation.resume(returning: .failure(error))
        case .streaming(let continuation):
            continuation.resume(returning: .failure(error))
        case nil:
            // The caller already has the head: the error ends the body, so a truncated
            // stream is never mistaken for a complete one.
            bodyContinuation?.finish(throwing: error)
        }
        delivery = nil
        bodyContinuation = nil
    }

    private func deliverStreamingHead() {
        guard case .streaming(let continuation) = delivery else { return }
        delivery = nil
        let (stream, streamContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let id = id
        let cancel = cancelStream
        streamContinuation.onTermination = { reason in
            // The consumer stopped listening (task cancelled or stream dropped): stop the transfer.
            if case .cancelled = reason { cancel(id) }
        }
        bodyContinuation = streamContinuation
        continuation.resume(returning: .success(
            HTTPStreamingResponse(status: status, headers: headers, body: HTTPBodyStream(chunks: stream))))
    }

    /// Reads the code from a status line such as `HTTP/1.1 200 OK` or `HTTP/2 404`.
    private static func parseStatus(_ line: UnsafeRawBufferPointer) -> Int {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return 0 }
        var code = 0
        for byte in line[(space + 1)...].prefix(3) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return 0 }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return code
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }
}
