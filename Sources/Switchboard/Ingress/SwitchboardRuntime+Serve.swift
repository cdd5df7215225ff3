import Foundation
import Hummingbird
import Kafka
import Logging
import NIOCore

extension SwitchboardRuntime {
    /// Where and how `switchboard serve` listens.
    public struct ServeOptions: Sendable {
        /// Address to listen on (loopback by default).
        public var host = "127.0.0.1"
        /// 0 picks a free port (logged, and passed to `onListening`).
        public var port = 8080
        /// Names this ingress's reply topic; unique per process.
        public var instance = String(UUID().uuidString.prefix(8)).lowercased()
        /// How long a call waits for its reply before answering 504.
        public var timeout: Duration = .seconds(60)
        /// Pipeline stages run in this process beside the ingress, on its Redis pool and Kafka
        /// producer, each in its consumer group as under `switchboard run`; empty runs none.
        public var stages: [StageRole] = []

        public init() {}
    }

    /// Runs the HTTP ingress (API routes plus `/metrics`, `/healthz`, `/readyz` on the same
    /// port) until a shutdown signal or cancellation.
    public func serve(_ options: ServeOptions, onListening: (@Sendable (Int) -> Void)? = nil) async throws {
        _ = MetricsBootstrap.registry()
        let redis = try await connectRedis()
        defer { redis.shutdown() }
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let stages = try await makeStages(options.stages, redis: redis, producer: producer)
        defer { stages.close() }
        let replyTopic = HTTPIngress.replyTopic(config: config, instance: options.instance)
        // The gateway stage runs here on each call unless the config sends calls to its own stage.
        let gateway = config.gateway.admitAtIngress
            ? try GatewayStage(config: config, catalog: catalog, redis: redis, routing: try await gatewayRouting(),
                               cache: PromptCache(redis: redis, settings: config.cache, logger: logger), logger: logger)
            : nil
        let topics = gateway == nil
            ? [config.topics.requests]
            : [config.topics.route, config.topics.retrieve, config.topics.complete, config.topics.usage]
        // On the dev Kafka a metadata request creates the topic; a real cluster needs it applied.
        try await producer.prepare(topics: topics + [config.topics.embed, replyTopic])
        let replies = try await ReplyReader(configuration: consumerConfiguration, topic: replyTopic, logger: logger)
        // The door checks keys with the gateway's own directory (one cache) when it runs here, and
        // embedding calls are admitted here whether or not chat calls are.
        let outage = RedisOutage(logger: logger)
        let keys = gateway?.keys ?? KeyDirectory(config: config, redis: redis, outage: outage)
        let admission = gateway?.admission ?? AdmissionControl(config: config, redis: redis, outage: outage)
        let ingress = HTTPIngress(config: config, keys: keys, gateway: gateway, admission: admission, producer: producer, replies: replies,
                                  timeout: options.timeout, logger: logger)
        let router = Router()
        ingress.register(on: router)
        // Ready once listening, whether or not the stages here own partitions now: they may own
        // none (more processes than partitions) or lose them for a moment in every rebalance,
        // and neither should take this ingress out of a load balancer.
        let readiness = Readiness()
        OpsEndpoints.register(on: router, readiness: readiness)
        // The collection admin routes (no bearer key) stay on `run`'s ops port, off this public one.
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "switchboard-ingress"),
            services: stages.runners,
            onServerRunning: { channel in
                readiness.markReady()
                let port = channel.localAddress?.port ?? options.port
                logger.info("ingress listening", metadata: ["port": "\(port)", "reply_topic": "\(replyTopic)"])
                onListening?(port)
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            await replies.close()
            await producer.close()
            throw error
        }
        await replies.close()
        await producer.close()
    }
}
