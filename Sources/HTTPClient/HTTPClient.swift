import Logging

/// An asynchronous HTTP/1.1 and HTTP/2 client over libcurl's multi interface.
///
/// All transfers of a client run on one dedicated thread that owns a single libcurl multi
/// handle, so connections are pooled and reused across every request of the client, and no
/// Swift concurrency thread is ever blocked on I/O. Thousands of transfers can be in flight at
/// once; each caller's task only waits on a continuation.
///
/// Create one client per process (or per upstream group) and share it; call ``shutdown()``
/// when done. Redirects are not followed.
public final class HTTPClient: Sendable {
    /// Limits for one client.
    public struct Configuration: Sendable {
        /// The most connections open at once across all hosts; further transfers wait for a
        /// free connection. Idle connections up to this number are kept for reuse.
        public var maxConnections: Int
        /// The most connections open at once to one host; 0 means no limit beyond
        /// ``maxConnections``.
        public var maxConnectionsPerHost: Int
        /// The largest body ``HTTPClient/execute(_:)`` accepts before failing with
        /// ``HTTPClientError/Code/responseTooLarge``. Streamed bodies are not limited here.
        public var maxResponseBodySize: Int

        /// Creates a configuration.
        /// - Parameters:
        ///   - maxConnections: default 2048.
        ///   - maxConnectionsPerHost: default 0, unlimited.
        ///   - maxResponseBodySize: default 64 MiB.
        public init(maxConnections: Int = 2048, maxConnectionsPerHost: Int = 0, maxResponseBodySize: Int = 64 << 20) {
            self.maxConnections = maxConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxResponseBodySize = maxResponseBodySize
        }
    }

    private let loop: TransferLoop
    private let configuration: Configuration

    /// Creates a client and starts its transfer thread.
    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        loop = TransferLoop(configuration: configuration, logger: logger)
        loop.startThread()
    }

    deinit {
        loop.shutdown()
    }

    /// Sends a request and returns the whole response.
    ///
    /// Any status code is a response, not an error: callers decide what a 429 or a 500 means.
    /// Cancelling the calling task abandons the transfer and throws
    /// ``HTTPClientError/Code/cancelled``.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        try request.validate()
        let loop = loop
        let id = loop.makeTransferID()
        let maxBodySize = configuration.maxResponseBodySize
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
                loop.submit(Transfer(
                    id: id, request: request, delivery: .buffered(continuation),
                    maxBodySize: maxBodySize, cancelStream: { loop.cancel($0) }))
            }
        } onCancel: {
            loop.cancel(id)
        }
        return try result.get()
    }

    /// Sends a request and returns as soon as the response head has arrived; the body follows
    /// as chunks in ``HTTPStreamingResponse/body``, for server-sent events and other long
    /// responses.
    ///
    /// A failure after the head ends the body sequence with an error. Cancelling the task
    /// that waits for the head, or the one iterating the body, abandons the transfer.
    public func stream(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPStreamingResponse {
        try request.validate()
        let loop = loop
        let id = loop.makeTransferID()
        let maxBodySize = configuration.maxResponseBodySize
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPStreamingResponse, HTTPClientError>, Never>) in
                loop.submit(Transfer(
                    id: id, request: request, delivery: .streaming(continuation),
                    maxBodySize: maxBodySize, cancelStream: { loop.cancel($0) }))
            }
        } onCancel: {
            loop.cancel(id)
        }
        return try result.get()
    }

    /// Transfers started and not yet finished, for monitoring.
    public var activeTransferCount: Int {
        loop.activeTransferCount
    }

    /// Fails every unfinished transfer with ``HTTPClientError/Code/shutdown``, closes the
    /// connections and stops the transfer thread. Returns without waiting; later requests
    /// fail with ``HTTPClientError/Code/shutdown``. Calling it again has no effect.
    public func shutdown() {
        loop.shutdown()
    }
}
