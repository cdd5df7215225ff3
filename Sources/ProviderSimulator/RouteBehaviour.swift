/// How one route misbehaves: latency and the rates of each kind of fault.
///
/// For each request one random draw picks at most one fault, in this order: rate limiting,
/// error statuses (ascending), stall, dropped connection, malformed body. Rates are
/// probabilities in 0...1 and must add up to at most 1. Latency applies to every answer.
public struct RouteBehaviour: Sendable, Codable, Equatable {
    /// Time before the response head (or, for a stream, before the first event). Default none.
    public var latency: LatencyDistribution
    /// Delay between streamed events. Default none.
    public var streamEventDelay: LatencyDistribution
    /// Probability of each error status, e.g. `[500: 0.1, 503: 0.05]`. In JSON or YAML the
    /// keys are strings: `{"500": 0.1}`. A 429 here behaves like ``rateLimitRate``. Default empty.
    public var errorRates: [Int: Double]
    /// Probability of a 429 with a `Retry-After` header. Default 0.
    public var rateLimitRate: Double
    /// The `Retry-After` value, in seconds, sent with a 429. Default 1.
    public var retryAfterSeconds: Int
    /// Probability of holding the request for ``stallSeconds`` before answering. Default 0.
    public var stallRate: Double
    /// How long a stalled request is held. Default 30.
    public var stallSeconds: Double
    /// Probability of closing the connection part way through the response. Default 0.
    public var dropRate: Double
    /// How many streamed events are sent before a drop; 0 drops right after the head.
    /// A buffered response is cut half way through its body. Default 2.
    public var dropAfterEvents: Int
    /// Probability of answering 200 with a body that is not valid JSON. Default 0.
    public var malformedRate: Double

    /// Creates a behaviour; every parameter has the documented default.
    public init(
        latency: LatencyDistribution = .none,
        streamEventDelay: LatencyDistribution = .none,
        errorRates: [Int: Double] = [:],
        rateLimitRate: Double = 0,
        retryAfterSeconds: Int = 1,
        stallRate: Double = 0,
        stallSeconds: Double = 30,
        dropRate: Double = 0,
        dropAfterEvents: Int = 2,
        malformedRate: Double = 0
    ) {
        self.latency = latency
        self.streamEventDelay = streamEventDelay
        self.errorRates = errorRates
        self.rateLimitRate = rateLimitRate
        self.retryAfterSeconds = retryAfterSeconds
        self.stallRate = stallRate
        self.stallSeconds = stallSeconds
        self.dropRate = dropRate
        self.dropAfterEvents = dropAfterEvents
        self.malformedRate = malformedRate
    }

    /// Decodes a behaviour, taking the default for every absent key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RouteBehaviour()
        latency = try c.decodeIfPresent(LatencyDistribution.self, forKey: .latency) ?? d.latency
        streamEventDelay = try c.decodeIfPresent(LatencyDistribution.self, forKey: .streamEventDelay) ?? d.streamEventDelay
        errorRates = try c.decodeIfPresent([Int: Double].self, forKey: .errorRates) ?? d.errorRates
        rateLimitRate = try c.decodeIfPresent(Double.self, forKey: .rateLimitRate) ?? d.rateLimitRate
        retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? d.retryAfterSeconds
        stallRate = try c.decodeIfPresent(Double.self, forKey: .stallRate) ?? d.stallRate
        stallSeconds = try c.decodeIfPresent(Double.self, forKey: .stallSeconds) ?? d.stallSeconds
        dropRate = try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? d.dropRate
        dropAfterEvents = try c.decodeIfPresent(Int.self, forKey: .dropAfterEvents) ?? d.dropAfterEvents
        malformedRate = try c.decodeIfPresent(Double.self, forKey: .malformedRate) ?? d.malformedRate
    }

    /// Messages naming each bad key; empty when usable.
    func validationErrors() -> [String] {
        var errors: [String] = []
        let rates = [rateLimitRate, stallRate, dropRate, malformedRate] + Array(errorRates.values)
        if rates.contains(where: { !(0...1).contains($0) }) { errors.append("rates: each must be in 0...1") }
        if rates.reduce(0, +) > 1 + 1e-9 { errors.append("rates: they add up to more than 1") }
        for status in errorRates.keys where !(400...599).contains(status) {
            errors.append("errorRates: \(status) is not an error status (400...599)")
        }
        if retryAfterSeconds < 0 { errors.append("retryAfterSeconds: must not be negative") }
        if stallSeconds < 0 { errors.append("stallSeconds: must not be negative") }
        if dropAfterEvents < 0 { errors.append("dropAfterEvents: must not be negative") }
        errors += latency.validationErrors().map { "latency.\($0)" }
        errors += streamEventDelay.validationErrors().map { "streamEventDelay.\($0)" }
        return errors
    }
}

/// A distribution of delays, in milliseconds.
///
/// Encoded as `{"kind": "fixed", "milliseconds": 200}`, `{"kind": "uniform", "min": 100,
/// "max": 400}` or `{"kind": "lognormal", "p50": 300, "p99": 2000}`; `{"kind": "none"}` or an
/// absent key means no delay.
public struct LatencyDistribution: Sendable, Codable, Equatable {
    /// The shape of the distribution.
    public enum Kind: String, Sendable, Codable {
        /// No delay.
        case none
        /// Always ``LatencyDistribution/milliseconds``.
        case fixed
        /// Evenly spread over ``LatencyDistribution/min`` ... ``LatencyDistribution/max``.
        case uniform
        /// Log-normal with the given median ``LatencyDistribution/p50`` and 99th percentile
        /// ``LatencyDistribution/p99``: the long tail real providers show.
        case lognormal
    }

    /// The shape.
    public var kind: Kind
    /// The delay of a fixed distribution.
    public var milliseconds: Double
    /// The lower bound of a uniform distribution.
    public var min: Double
    /// The upper bound of a uniform distribution.
    public var max: Double
    /// The median of a log-normal distribution.
    public var p50: Double
    /// The 99th percentile of a log-normal distribution.
    public var p99: Double

    /// Creates a distribution; unused parameters may be left out.
    public init(kind: Kind, milliseconds: Double = 0, min: Double = 0, max: Double = 0, p50: Double = 0, p99: Double = 0) {
        self.kind = kind
        self.milliseconds = milliseconds
        self.min = min
        self.max = max
        self.p50 = p50
        self.p99 = p99
    }

    /// No delay.
    public static let none = LatencyDistribution(kind: .none)

    /// Always the given delay.
    public static func fixed(milliseconds: Double) -> LatencyDistribution {
        LatencyDistribution(kind: .fixed, milliseconds: milliseconds)
    }

    /// Evenly spread between the bounds.
    public static func uniform(min: Double, max: Double) -> LatencyDistribution {
        LatencyDistribution(kind: .uniform, min: min, max: max)
    }

    /// Log-normal with the given median and 99th percentile.
    public static func lognormal(p50: Double, p99: Double) -> LatencyDistribution {
        LatencyDistribution(kind: .lognormal, p50: p50, p99: p99)
    }

    /// Decodes a distribution, taking 0 for absent numbers and `none` for an absent kind.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .none
        milliseconds = try c.decodeIfPresent(Double.self, forKey: .milliseconds) ?? 0
        min = try c.decodeIfPresent(Double.self, forKey: .min) ?? 0
        max = try c.decodeIfPresent(Double.self, forKey: .max) ?? 0
        p50 = try c.decodeIfPresent(Double.self, forKey: .p50) ?? 0
        p99 = try c.decodeIfPresent(Double.self, forKey: .p99) ?? 0
    }

    /// Whether every draw is zero.
    var isZero: Bool {
        switch kind {
        case .none: true
        case .fixed: milliseconds <= 0
        case .uniform: max <= 0
        case .lognormal: false
        }
    }

    func validationErrors() -> [String] {
        switch kind {
        case .none: []
        case .fixed: milliseconds >= 0 ? [] : ["milliseconds: must not be negative"]
        case .uniform: (0 <= min && min <= max) ? [] : ["min/max: need 0 <= min <= max"]
        case .lognormal: (0 < p50 && p50 <= p99) ? [] : ["p50/p99: need 0 < p50 <= p99"]
        }
    }
}
