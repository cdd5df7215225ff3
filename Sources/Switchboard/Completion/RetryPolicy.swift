/// When to try a failed call again: exponential backoff with full jitter, and how long a
/// provider's `Retry-After` may hold a request before it goes elsewhere instead.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per request across all deployments, the first included.
    public var maxAttempts: Int
    public var baseDelayMs: Int64
    public var maxDelayMs: Int64
    public var maxRetryAfterMs: Int64

    public init(maxAttempts: Int = 4, baseDelayMs: Int64 = 200, maxDelayMs: Int64 = 5_000, maxRetryAfterMs: Int64 = 10_000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
        self.maxRetryAfterMs = maxRetryAfterMs
    }

    public init(_ settings: RetrySettings) {
        self.init(maxAttempts: settings.maxAttempts, baseDelayMs: Int64(settings.baseDelayMs),
                  maxDelayMs: Int64(settings.maxDelayMs), maxRetryAfterMs: Int64(settings.maxRetryAfterMs))
    }

    /// The ceiling of the `retry`-th backoff (0 for the first retry): base·2ʳ, capped.
    public func ceilingMs(retry: Int) -> Int64 {
        let shift = min(max(retry, 0), 30)
        let (grown, overflow) = baseDelayMs.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maxDelayMs : min(grown, maxDelayMs)
    }

    /// Full jitter: uniform in `0...ceiling`, so retries of many requests spread out instead of
    /// arriving together. `unit` is a draw from `0..<1`.
    public func backoffMs(retry: Int, unit: Double) -> Int64 {
        Int64((Double(ceilingMs(retry: retry) + 1) * min(max(unit, 0), 0.999_999_999)).rounded(.down))
    }

    /// How long to wait for a `Retry-After`, or nil when it is longer than the cap (the caller
    /// fails over or gives up instead of holding the request).
    public func honouredRetryAfterMs(_ retryAfterMs: Int?) -> Int64? {
        guard let retryAfterMs else { return 0 }
        return Int64(retryAfterMs) <= maxRetryAfterMs ? Int64(max(0, retryAfterMs)) : nil
    }
}
