import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// Process-wide Prometheus registry, bootstrapped once into swift-metrics.
public enum MetricsBootstrap {
    private static let state = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The registry every metric of this process lands in.
    public static func registry() -> PrometheusCollectorRegistry {
        state.withLock { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
            ]
            MetricsSystem.bootstrap(factory)
            current = registry
            return registry
        }
    }
}

/// Readiness of the process, flipped by whoever knows (stages once their clients are up).
public final class Readiness: Sendable {
    private let ready = Atomic<Bool>(false)
    private let conditions: [@Sendable () -> Bool]

    /// Ready once `markReady()` was called and every condition holds.
    public init(conditions: [@Sendable () -> Bool] = []) {
        self.conditions = conditions
    }

    public func markReady() { ready.store(true, ordering: .releasing) }
    public var isReady: Bool { ready.load(ordering: .acquiring) && conditions.allSatisfy { $0() } }
}

/// The operator's endpoints every process serves: `/metrics`, `/healthz`, `/readyz`.
public enum OpsEndpoints {
    /// Adds the endpoints to `router`.
    public static func register<Context: RequestContext>(on router: Router<Context>, readiness: Readiness) {
        let registry = MetricsBootstrap.registry()
        router.get("/metrics") { _, _ -> Response in
            var buffer = ByteBuffer()
            buffer.writeBytes(registry.emitToBuffer())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: buffer))
        }
        router.get("/healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ -> Response in
            let ready = readiness.isReady
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "starting\n")))
        }
    }
}
