import Foundation
import HTTPClient

extension DevKafkaAdmin {
    /// The dev broker's admin address, if `switchboard dev kafka` serving `bootstrap` wrote one.
    public static func address(for bootstrap: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let devBootstrap = try? String(contentsOfFile: DevState.bootstrapFile(environment: environment), encoding: .utf8),
              let address = try? String(contentsOfFile: DevState.kafkaAdminFile(environment: environment), encoding: .utf8) else { return nil }
        let local = Set(devBootstrap.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ","))
        let wanted = Set(bootstrap.split(separator: ","))
        // The relay on 127.0.0.1:9092 leads to the same broker.
        guard !local.isDisjoint(with: wanted) || wanted == ["127.0.0.1:9092"] else { return nil }
        return address.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates `topics` through the admin address. A topic that exists already is left as it is.
    public static func createTopics(_ topics: [TopicRequest], at address: String, client: HTTPClient) async throws {
        for topic in topics {
            let body = EventCoding.encode(topic)
            let response = try await client.execute(HTTPRequest(method: "POST", url: address + "/topics", headers: ["Content-Type": "application/json"],
                                                                body: body, timeout: .seconds(10)))
            guard response.status == 201 || response.status == 409 else {
                throw StartupError("dev broker: creating topic \(topic.name) failed with HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            }
        }
    }
}
