/// Orders a model's deployments for one request: the first is tried first, the rest are the
/// failover chain in their listed order.
public struct LoadBalancer: Sendable {
    public let health: DeploymentHealth
    public let jitter: JitterSource

    public init(health: DeploymentHealth, jitter: JitterSource) {
        self.health = health
        self.jitter = jitter
    }

    public func order(_ deployments: [DeploymentConfig], strategy: RoutingStrategy) -> [DeploymentConfig] {
        guard deployments.count > 1 else { return deployments }
        switch strategy {
        case .ordered:
            return deployments
        case .weighted:
            let total = deployments.reduce(0) { $0 + max(0, $1.weight) }
            guard total > 0 else { return deployments }
            var point = jitter.next() * Double(total)
            var first = deployments.count - 1
            for (index, deployment) in deployments.enumerated() {
                point -= Double(max(0, deployment.weight))
                if point < 0 { first = index; break }
            }
            return [deployments[first]] + deployments.enumerated().filter { $0.offset != first }.map(\.element)
        case .leastLatency:
            // Unknown latency sorts first so every deployment gets measured.
            return deployments.enumerated().sorted { a, b in
                let la = health.latencyMs(a.element.id) ?? -1, lb = health.latencyMs(b.element.id) ?? -1
                return la == lb ? a.offset < b.offset : la < lb
            }.map(\.element)
        }
    }
}
