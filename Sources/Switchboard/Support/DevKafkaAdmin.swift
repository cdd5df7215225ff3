import Foundation
import Hummingbird
import JSONCoding
import Kafka
import Logging

/// Topic creation on the dev broker, which does not serve Kafka's `CreateTopics` request (the
/// server side; the client side is in `DevKafkaAdmin+Client.swift`).
///
/// `switchboard dev kafka` serves `POST /topics` on a loopback port and writes the address to
/// `kafka.admin` in the state directory; a topic created this way gets the partition count it
/// asks for, where the mock would auto-create it with its fixed 4. The benchmarks create their
/// topics through it, so that each partition's log stays short (the mock walks a partition's
/// log from its start for every fetch that returns records).
public enum DevKafkaAdmin {
    /// One topic to create.
    public struct TopicRequest: Codable, Sendable, Equatable {
        public var name: String
        public var partitions: Int

        public init(name: String, partitions: Int) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// The most partitions one request may ask for.
    public static let maxPartitions = 256

    /// Serves `POST /topics` for `cluster` on 127.0.0.1 at a port the system picks, and calls
    /// `listening` with the address once it listens. Returns when its task is cancelled.
    public static func serve(cluster: KafkaMockCluster, logger: Logger, listening: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.post("/topics") { request, context -> Response in
            let topic: TopicRequest
            do {
                topic = try await request.decode(as: TopicRequest.self, context: context)
            } catch {
                return problem(.badRequest, "the body must be {\"name\": string, \"partitions\": integer}")
            }
            guard !topic.name.isEmpty, topic.name.utf8.count <= 249,
                  topic.name.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                      || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                      || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return problem(.badRequest, "a topic name is 1 to 249 characters of [a-zA-Z0-9._-]")
            }
            guard (1...maxPartitions).contains(topic.partitions) else {
                return problem(.badRequest, "partitions must be between 1 and \(maxPartitions)")
            }
            do throws(KafkaError) {
                try cluster.createTopic(topic.name, partitions: topic.partitions)
            } catch where error.isTopicAlreadyExists {
                return problem(.conflict, "topic \(topic.name) already exists")
            } catch {
                return problem(.internalServerError, "\(error)")
            }
            logger.info("topic created", metadata: ["topic": "\(topic.name)", "partitions": "\(topic.partitions)"])
            return Response(status: .created)
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "switchboard-dev-kafka"),
            onServerRunning: { channel in
                listening("http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
            },
            logger: logger)
        try await app.run()
    }

    private static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var body = Array("{\"error\":".utf8)
        JSONText.appendQuoted(message, to: &body)
        body.append(UInt8(ascii: "}"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

}
