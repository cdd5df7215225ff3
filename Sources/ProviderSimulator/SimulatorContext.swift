import Hummingbird

/// The request context of the simulator's routes: Hummingbird's core context plus a way to
/// close the connection, which is how a dropped connection is simulated.
struct SimulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Closes the request's connection at once, without a response.
    let closeConnection: @Sendable () -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        let channel = source.channel
        closeConnection = { channel.close(promise: nil) }
    }
}

/// Header names the simulator reads or writes beyond the standard ones.
enum SimulatorHeader {
    typealias Name = HTTPFields.Element.Name

    static let requestId = Name("x-request-id")!
    static let anthropicRequestId = Name("request-id")!
    static let apiKey = Name("x-api-key")!
    /// Azure OpenAI's key header.
    static let azureAPIKey = Name("api-key")!
    static let anthropicVersion = Name("anthropic-version")!
    static let retryAfter = Name("retry-after")!
    static let fault = Name("x-sim-fault")!
    static let latency = Name("x-sim-latency-ms")!
    static let eventDelay = Name("x-sim-event-delay-ms")!
}

/// Thrown from a response body writer to make the server close the connection mid-response.
struct SimulatedDrop: Error {}
