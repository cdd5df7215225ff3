/// A circuit for one deployment: closed while calls succeed; open after `failureThreshold`
/// consecutive failures, refusing calls for `openMs`; then half-open, letting one probe
/// through, which closes it on success or opens it again on failure.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(untilMs: Int64)
        case halfOpen(probeInFlight: Bool)
    }

    public private(set) var state: State = .closed(consecutiveFailures: 0)
    public let failureThreshold: Int
    public let openMs: Int64

    public init(failureThreshold: Int = 5, openMs: Int64 = 5_000) {
        self.failureThreshold = max(1, failureThreshold)
        self.openMs = openMs
    }

    /// Whether a call may go through now, without claiming the probe.
    public func allows(nowMs: Int64) -> Bool {
        switch state {
        case .closed: true
        case .open(let until): nowMs >= until
        case .halfOpen(let probing): !probing
        }
    }

    /// Claims the right to call: always when closed; the single probe when half-open.
    public mutating func admit(nowMs: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .open(let until):
            guard nowMs >= until else { return false }
            state = .halfOpen(probeInFlight: true)
            return true
        case .halfOpen(let probing):
            guard !probing else { return false }
            state = .halfOpen(probeInFlight: true)
            return true
        }
    }

    /// The deployment answered (any answer that is not its own fault).
    public mutating func recordSuccess() {
        state = .closed(consecutiveFailures: 0)
    }

    /// The deployment failed (5xx, timeout, connection, malformed).
    public mutating func recordFailure(nowMs: Int64) {
        switch state {
        case .closed(let failures) where failures + 1 < failureThreshold:
            state = .closed(consecutiveFailures: failures + 1)
        case .closed, .halfOpen:
            state = .open(untilMs: nowMs + openMs)
        case .open:
            break
        }
    }

    /// When the circuit will next let a call through (now, if it does).
    public func availableAtMs(nowMs: Int64) -> Int64 {
        if case .open(let until) = state { return max(until, nowMs) }
        return nowMs
    }
}
