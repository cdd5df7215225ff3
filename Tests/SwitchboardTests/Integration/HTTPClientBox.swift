import HTTPClient
import Logging

/// One HTTP client shared by the tests of this process (it owns a thread and a curl multi handle).
enum HTTPClientBox {
    static let shared = HTTPClient(logger: Logger(label: "test-http"))
}
