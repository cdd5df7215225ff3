/// What the simulator does with one request: which fault, if any, and how long it waits.
struct RequestPlan: Sendable {
    /// At most one fault per request.
    enum Fault: Sendable, Equatable {
        case none
        /// An error response in the provider's shape; a 429 carries `Retry-After`.
        case status(Int, retryAfterSeconds: Int)
        /// Hold the request this long, then answer normally.
        case stall(Duration)
        /// Close the connection without any response.
        case dropBeforeHead
        /// Send the head and this many streamed events, then close the connection.
        case dropAfter(events: Int)
        /// Answer 200 with a body that is not valid JSON.
        case malformed

        /// The name counted in ``SimulatorStats/faultsInjected``, or nil for no fault.
        var statName: String? {
            switch self {
            case .none: nil
            case .status(let status, _): String(status)
            case .stall: "stall"
            case .dropBeforeHead, .dropAfter: "drop"
            case .malformed: "malformed"
            }
        }
    }

    var fault: Fault
    /// Delay before the head, or before the first event of a stream.
    var latency: Duration
    /// Draws the delay before each further streamed event.
    var eventDelay: LatencyDistribution
    /// A generator of the request's own, so per-event draws do not depend on other requests.
    var generator: SplitMix64

    /// Decides the plan from the route's behaviour and the request's seed, then applies
    /// the `x-sim-*` headers, which win over chance so a test can script one request exactly.
    ///
    /// Exactly one roll and one latency sample are drawn whatever the outcome, so the
    /// outcomes of later requests do not depend on which fault an earlier one got.
    init(behaviour: RouteBehaviour, seed: UInt64, overrides: Overrides) throws(SimulatorRequestError) {
        var generator = SplitMix64(seed: seed)
        let roll = generator.nextUnit()
        latency = behaviour.latency.sample(using: &generator)
        fault = Self.choose(roll: roll, behaviour: behaviour)
        eventDelay = behaviour.streamEventDelay
        if let text = overrides.fault {
            fault = try Self.parseFault(text, behaviour: behaviour)
        }
        if let text = overrides.latencyMilliseconds {
            latency = .milliseconds(try Self.parseMilliseconds(text, header: "x-sim-latency-ms"))
        }
        if let text = overrides.eventDelayMilliseconds {
            eventDelay = .fixed(milliseconds: Double(try Self.parseMilliseconds(text, header: "x-sim-event-delay-ms")))
        }
        self.generator = generator
    }

    /// The values of the `x-sim-*` request headers.
    struct Overrides: Sendable {
        /// `x-sim-fault`: `none`, a status such as `500`, `429` or `429:<seconds>`,
        /// `stall:<seconds>`, `drop`, `drop-after:<events>`, `malformed`.
        var fault: String?
        /// `x-sim-latency-ms`: the delay before the head.
        var latencyMilliseconds: String?
        /// `x-sim-event-delay-ms`: the delay between streamed events.
        var eventDelayMilliseconds: String?
    }

    /// The delay before the next streamed event.
    mutating func nextEventDelay() -> Duration {
        eventDelay.sample(using: &generator)
    }

    private static func choose(roll: Double, behaviour: RouteBehaviour) -> Fault {
        var threshold = behaviour.rateLimitRate
        if roll < threshold { return .status(429, retryAfterSeconds: behaviour.retryAfterSeconds) }
        for (status, rate) in behaviour.errorRates.sorted(by: { $0.key < $1.key }) {
            threshold += rate
            if roll < threshold { return .status(status, retryAfterSeconds: behaviour.retryAfterSeconds) }
        }
        threshold += behaviour.stallRate
        if roll < threshold { return .stall(seconds(behaviour.stallSeconds)) }
        threshold += behaviour.dropRate
        if roll < threshold { return .dropAfter(events: behaviour.dropAfterEvents) }
        threshold += behaviour.malformedRate
        if roll < threshold { return .malformed }
        return .none
    }

    private static func parseFault(_ text: String, behaviour: RouteBehaviour) throws(SimulatorRequestError) -> Fault {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces() }
        let argument = parts.count > 1 ? parts[1] : nil
        func number(_ fallback: Double) throws(SimulatorRequestError) -> Double {
            guard let argument else { return fallback }
            guard let value = Double(argument), value >= 0 else {
                throw SimulatorRequestError(status: 400, message: "x-sim-fault: '\(text)' has an invalid number")
            }
            return value
        }
        switch parts.first ?? "" {
        case "none": return .none
        case "stall": return .stall(seconds(try number(behaviour.stallSeconds)))
        case "drop" where argument == nil: return .dropBeforeHead
        case "drop-after": return .dropAfter(events: Int(try number(Double(behaviour.dropAfterEvents))))
        case "malformed": return .malformed
        case let head:
            if let status = Int(head), (400...599).contains(status) {
                return .status(status, retryAfterSeconds: Int(try number(Double(behaviour.retryAfterSeconds))))
            }
            throw SimulatorRequestError(
                status: 400,
                message: "x-sim-fault: '\(text)' is not one of none, <status 400-599>[:<retry-after>], stall[:<s>], drop, drop-after:<n>, malformed")
        }
    }

    private static func parseMilliseconds(_ text: String, header: String) throws(SimulatorRequestError) -> Int {
        guard let value = Int(text.trimmingSpaces()), value >= 0 else {
            throw SimulatorRequestError(status: 400, message: "\(header): '\(text)' is not a non-negative integer")
        }
        return value
    }

    private static func seconds(_ value: Double) -> Duration {
        .microseconds(Int64((value * 1_000_000).rounded()))
    }
}

/// A request the simulator refuses before simulating anything, such as a malformed body or
/// a bad `x-sim-*` header. Answered in the route's provider error shape.
struct SimulatorRequestError: Error, Sendable {
    var status: Int
    var message: String
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
