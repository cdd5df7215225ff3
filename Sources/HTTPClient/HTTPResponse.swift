/// A complete response from ``HTTPClient/execute(_:)``.
public struct HTTPResponse: Sendable {
    /// The status code of the final response.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The whole body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8, with invalid sequences replaced.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// A response from ``HTTPClient/stream(_:)`` whose head has arrived and whose body is still
/// arriving.
///
/// Iterate ``body`` to the end: a transfer that fails part way ends the iteration with an
/// error rather than a silent end, so a truncated stream is never mistaken for a complete one.
/// Cancelling the iterating task, or dropping the response, cancels the transfer.
public struct HTTPStreamingResponse: Sendable {
    /// The status code of the final response.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The body, as chunks in the order they arrived.
    public var body: HTTPBodyStream
}

/// The body of a streamed response: chunks of bytes in arrival order.
///
/// Chunk boundaries follow the network, not the content: a server-sent event may span chunks.
/// The sequence can be iterated once.
public struct HTTPBodyStream: AsyncSequence, Sendable {
    /// A chunk of body bytes.
    public typealias Element = [UInt8]
    /// Errors end the sequence as ``HTTPClientError``.
    public typealias Failure = HTTPClientError

    let chunks: AsyncThrowingStream<[UInt8], any Error>

    /// Creates the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: chunks.makeAsyncIterator())
    }

    /// Reads the rest of the body into one buffer.
    /// - Parameter maxBytes: the most bytes to accept; more fails with ``HTTPClientError/Code/responseTooLarge``.
    public func collect(upTo maxBytes: Int) async throws(HTTPClientError) -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in self {
            guard result.count + chunk.count <= maxBytes else {
                throw HTTPClientError(code: .responseTooLarge, message: "streamed body exceeds \(maxBytes) bytes")
            }
            result.append(contentsOf: chunk)
        }
        return result
    }

    /// Yields body chunks until the body ends or the transfer fails.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator

        /// The next chunk, `nil` at the end of a complete body.
        public mutating func next() async throws(HTTPClientError) -> [UInt8]? {
            do {
                return try await base.next()
            } catch {
                throw Self.convert(error)
            }
        }

        /// The next chunk, `nil` at the end of a complete body.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(HTTPClientError) -> [UInt8]? {
            do {
                return try await base.next(isolation: actor)
            } catch {
                throw Self.convert(error)
            }
        }

        /// Only the transfer loop finishes the stream with an error, and it always uses
        /// ``HTTPClientError``; anything else would be a defect, reported as a transport error.
        private static func convert(_ error: any Error) -> HTTPClientError {
            error as? HTTPClientError ?? HTTPClientError(code: .transport, message: "body stream failed: \(error)")
        }
    }
}
