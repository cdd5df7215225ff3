import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A simulated LLM provider speaking OpenAI's and Anthropic's HTTP APIs, for tests, load
/// tests and demos.
///
/// Answers are deterministic functions of the request; latency and faults follow the
/// configuration, drawn from a seeded generator, or are forced per request with `x-sim-*`
/// headers. Routes:
/// - `POST /v1/chat/completions`, `POST /v1/embeddings`, `GET /v1/models` (OpenAI)
/// - `POST /v1/messages` (Anthropic)
/// - `GET /_sim/stats` (``SimulatorStats`` as JSON) and `POST /_sim/reset`
///
/// ```swift
/// let simulator = ProviderSimulator(configuration: .init(), logger: logger)
/// let server = Task { try await simulator.run() }
/// let port = try await simulator.boundPort
/// // ... send requests to http://127.0.0.1:\(port) ...
/// server.cancel()
/// ```
public struct ProviderSimulator: Sendable {
    /// The configuration the simulator runs with.
    public let configuration: SimulatorConfiguration
    private let logger: Logger
    private let state: SimulatorState
    private let lifecycle = ServerLifecycle()

    /// Creates a simulator; nothing listens until ``run()``.
    public init(configuration: SimulatorConfiguration = SimulatorConfiguration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        state = SimulatorState(seed: configuration.seed, requestIdLimit: configuration.requestIdLimit)
    }

    /// Serves until the calling task is cancelled. Call it once per simulator.
    /// - Throws: ``ProviderSimulatorError`` for an invalid configuration, or the server's
    ///   error when it cannot bind.
    public func run() async throws {
        defer { lifecycle.stopped() }
        let problems = configuration.validationErrors()
        guard problems.isEmpty else {
            throw ProviderSimulatorError(code: .invalidConfiguration, message: problems.joined(separator: "; "))
        }
        let engine = SimulationEngine(configuration: configuration, state: state)
        let router = Router(context: SimulatorContext.self)
        OpenAIRoutes(engine: engine).register(on: router)
        AnthropicRoutes(engine: engine).register(on: router)
        registerControlRoutes(on: router)

        let lifecycle = lifecycle
        let logger = logger
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "provider-simulator",
                backlog: configuration.backlog),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("provider simulator listening", metadata: ["port": "\(port)"])
                lifecycle.running(port: port)
            },
            logger: logger)
        // Cancelling the caller shuts the server down gracefully (it stops listening and closes
        // its idle connections) instead of cancelling it, which the server reports as an error.
        // A connection still busy after `Self.drainBound` is cut.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: logger))
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task {
                await group.triggerGracefulShutdown()
                try? await Task.sleep(for: Self.drainBound)
                serving.cancel()
            }
        }
    }

    /// How long a graceful stop waits for busy connections (a slow stream) before cutting them.
    static let drainBound: Duration = .seconds(2)

    /// The port the server listens on, once it does; waits until then. With port 0 in the
    /// configuration this is the port the system picked.
    /// - Throws: ``ProviderSimulatorError`` when ``run()`` ended before the server listened.
    public var boundPort: Int {
        get async throws(ProviderSimulatorError) {
            try await lifecycle.port()
        }
    }

    /// What the simulator has seen since it started or was last reset.
    public func stats() -> SimulatorStats {
        state.stats()
    }

    /// Clears the statistics and the prompt cache and re-seeds the fault generator.
    public func reset() {
        state.reset()
    }

    private func registerControlRoutes(on router: Router<SimulatorContext>) {
        let state = state
        router.get("/_sim/stats") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: try encodeJSON(state.stats())))
        }
        router.post("/_sim/reset") { _, _ in
            state.reset()
            return Response(status: .noContent)
        }
    }
}

/// The one error the simulator's own API throws.
public struct ProviderSimulatorError: Error, Sendable, CustomStringConvertible {
    /// A stable classification.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The configuration has bad values; the message names each bad key.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The server stopped, or never started, before listening.
        public static let notRunning = Code("notRunning")
        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message.
    public var description: String { "ProviderSimulatorError.\(code): \(message)" }
}

/// Tells waiters the bound port once the server listens, or that it stopped first.
final class ServerLifecycle: Sendable {
    private typealias Waiter = CheckedContinuation<Result<Int, ProviderSimulatorError>, Never>

    private enum Phase {
        case starting([Waiter])
        case running(Int)
        case stopped
    }

    private let phase = Mutex(Phase.starting([]))

    func running(port: Int) {
        let waiters = phase.withLock { phase -> [Waiter] in
            guard case .starting(let waiters) = phase else { return [] }
            phase = .running(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: .success(port)) }
    }

    func stopped() {
        let waiters = phase.withLock { phase -> [Waiter] in
            defer { phase = .stopped }
            guard case .starting(let waiters) = phase else { return [] }
            return waiters
        }
        let error = ProviderSimulatorError(code: .notRunning, message: "the simulator stopped before it listened")
        for waiter in waiters { waiter.resume(returning: .failure(error)) }
    }

    func port() async throws(ProviderSimulatorError) -> Int {
        let result = await withCheckedContinuation { (continuation: Waiter) in
            let immediate = phase.withLock { phase -> Result<Int, ProviderSimulatorError>? in
                switch phase {
                case .starting(var waiters):
                    waiters.append(continuation)
                    phase = .starting(waiters)
                    return nil
                case .running(let port):
                    return .success(port)
                case .stopped:
                    return .failure(ProviderSimulatorError(code: .notRunning, message: "the simulator is not running"))
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        return try result.get()
    }
}
