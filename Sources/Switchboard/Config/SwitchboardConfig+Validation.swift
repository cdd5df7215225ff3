import Foundation

extension SwitchboardConfig {
    /// Checks cross-references and ranges once at start-up, naming the bad key.
    func validate(path: String) throws(ConfigError) {
        func fail(_ key: String, _ message: String) -> ConfigError {
            ConfigError(path: path, key: key, message: message)
        }
        var tenantIDs = Set<String>()
        var keyHashes = Set<String>()
        for (t, tenant) in tenants.enumerated() {
            if tenant.id.isEmpty { throw fail("tenants[\(t)].id", "must not be empty") }
            if !tenantIDs.insert(tenant.id).inserted { throw fail("tenants[\(t)].id", "'\(tenant.id)' appears twice") }
            for (k, key) in tenant.keys.enumerated() {
                let hash = key.sha256.lowercased()
                if hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
                    throw fail("tenants[\(t)].keys[\(k)].sha256", "must be 64 hex digits (the SHA-256 of the key; `switchboard keys hash` prints it)")
                }
                if !keyHashes.insert(hash).inserted { throw fail("tenants[\(t)].keys[\(k)].sha256", "the same key is listed twice") }
            }
        }
        let providerNames = Set(providers.map(\.name))
        for (p, provider) in providers.enumerated() {
            guard let url = URL(string: provider.baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw fail("providers[\(p)].base_url", "'\(provider.baseURL)' is not an http(s) URL")
            }
            if provider.timeoutMs <= 0 { throw fail("providers[\(p)].timeout_ms", "must be positive") }
        }
        var modelNames = Set<String>()
        for (m, model) in models.enumerated() {
            for (d, deployment) in model.deployments.enumerated() where !providerNames.contains(deployment.provider) {
                let key = model.deployments.count == 1 ? "models[\(m)].provider" : "models[\(m)].deployments[\(d)].provider"
                throw fail(key, "'\(deployment.provider)' is not a configured provider (known: \(providerNames.sorted().joined(separator: ", ")))")
            }
            for (d, deployment) in model.deployments.enumerated() where deployment.weight < 0 {
                throw fail("models[\(m)].deployments[\(d)].weight", "must not be negative")
            }
            for name in [model.name] + model.aliases where !modelNames.insert(name).inserted {
                throw fail("models[\(m)]", "the name or alias '\(name)' is used twice")
            }
        }
        if !models.isEmpty && !modelNames.contains(defaultModel) {
            throw fail("default_model", "'\(defaultModel)' is not a configured model or alias")
        }
        try routing?.validate(models: models, fail: fail)
        if completer.window < 1 { throw fail("completer.window", "must be at least 1") }
        if completer.maxInFlight < completer.window { throw fail("completer.max_in_flight", "must be at least completer.window") }
        if completer.retry.maxAttempts < 1 { throw fail("completer.retry.max_attempts", "must be at least 1") }
        if completer.circuitBreaker.failureThreshold < 1 { throw fail("completer.circuit_breaker.failure_threshold", "must be at least 1") }
        if completer.idempotency.inFlightTTLMs < 1000 { throw fail("completer.idempotency.in_flight_ttl_ms", "must be at least 1000") }
        if gateway.maxRequestBytes < 1024 { throw fail("gateway.max_request_bytes", "must be at least 1024") }
        if metrics.port < 0 || metrics.port > 65535 { throw fail("metrics.port", "must be a TCP port (0 picks a free one)") }
        guard RedisSettings.parse(url: redis.url) != nil else {
            throw fail("redis.url", "'\(redis.url)' is not redis://host:port")
        }
    }

    /// The Kafka bootstrap address, resolving `auto`.
    public func resolvedBootstrapServers(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard kafka.bootstrapServers == "auto" else { return kafka.bootstrapServers }
        if let fromEnv = environment["SWITCHBOARD_KAFKA_BOOTSTRAP"], !fromEnv.isEmpty { return fromEnv }
        if let written = try? String(contentsOfFile: DevState.bootstrapFile(environment: environment), encoding: .utf8) {
            let trimmed = written.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        return "127.0.0.1:9092"
    }

    /// Kafka properties with `${VAR}` references replaced from the environment.
    public func expandedKafkaProperties(_ properties: [String: String],
                                        environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        properties.mapValues { value in
            var result = value
            while let start = result.range(of: "${"), let end = result.range(of: "}", range: start.upperBound..<result.endIndex) {
                let name = String(result[start.upperBound..<end.lowerBound])
                result.replaceSubrange(start.lowerBound..<end.upperBound, with: environment[name] ?? "")
            }
            return result
        }
    }
}

extension RedisSettings {
    /// `redis://host:port[/db]` → host, port, database.
    public static func parse(url: String) -> (host: String, port: Int, database: Int)? {
        guard let components = URLComponents(string: url), components.scheme == "redis", let host = components.host else { return nil }
        let database = Int(components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))) ?? 0
        return (host, components.port ?? 6379, database)
    }
}

/// Files the dev services write so other commands find them without configuration.
public enum DevState {
    /// `$SWITCHBOARD_STATE_DIR`, else `.run` under the current directory.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["SWITCHBOARD_STATE_DIR"] ?? FileManager.default.currentDirectoryPath + "/.run"
    }

    public static func bootstrapFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        directory(environment: environment) + "/kafka.bootstrap"
    }

    /// The address of the dev broker's topic admin (``DevKafkaAdmin``), written by `switchboard dev kafka`.
    public static func kafkaAdminFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        directory(environment: environment) + "/kafka.admin"
    }

    /// The dev broker's pid, written by `ops/dev-up`.
    public static func kafkaPIDFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        directory(environment: environment) + "/kafka.pid"
    }
}
