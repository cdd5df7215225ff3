import Foundation
import HTTPClient

/// The HTTP side every adapter shares: send, map transport failures to provider errors, and
/// read a streamed body as server-sent events. Error messages name the provider and the
/// origin only, never a header value (keys travel in headers).
struct ProviderTransport: Sendable {
    let provider: String
    let client: HTTPClient
    let connectTimeout: Duration

    func execute(url: String, headers: HTTPHeaders, body: [UInt8], timeout: Duration) async throws(ProviderError) -> HTTPResponse {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, connectTimeout: connectTimeout, timeout: timeout)
        do {
            return try await client.execute(request)
        } catch {
            throw map(error)
        }
    }

    /// Opens a stream; a non-2xx status is read whole and handed to `classify`.
    func stream(url: String, headers: HTTPHeaders, body: [UInt8], timeout: Duration,
                classify: (Int, [UInt8], HTTPHeaders) -> ProviderError) async throws(ProviderError) -> HTTPStreamingResponse {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, connectTimeout: connectTimeout, timeout: timeout)
        let response: HTTPStreamingResponse
        do {
            response = try await client.stream(request)
        } catch {
            throw map(error)
        }
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            throw classify(response.status, body, response.headers)
        }
        return response
    }

    /// Calls `handle` for each event of `body`; a transfer that breaks throws.
    func events(of body: HTTPBodyStream, _ handle: (ServerSentEvents.Event) async throws(ProviderError) -> Void) async throws(ProviderError) {
        var parser = ServerSentEvents()
        var iterator = body.makeAsyncIterator()
        while true {
            let chunk: [UInt8]?
            do {
                chunk = try await iterator.next()
            } catch {
                throw map(error, during: "the stream")
            }
            guard let chunk else { return }
            for event in parser.feed(chunk) { try await handle(event) }
        }
    }

    func map(_ error: HTTPClientError, during phase: String = "the call") -> ProviderError {
        switch error.code {
        case .timeout: ProviderError(.timeout, "\(provider): \(phase) timed out")
        default: ProviderError(.unavailable, "\(provider): \(phase) failed: \(error.message)")
        }
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from model APIs and is ignored).
    static func retryAfterMs(_ headers: HTTPHeaders) -> Int? {
        headers.first("retry-after-ms").flatMap(Double.init).map { Int($0) }
            ?? headers.first("retry-after").flatMap(Double.init).map { Int($0 * 1000) }
    }
}
