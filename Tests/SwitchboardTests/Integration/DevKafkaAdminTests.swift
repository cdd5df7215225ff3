import Foundation
import HTTPClient
import Kafka
import Logging
@testable import Switchboard
import Testing

/// The dev broker's topic admin, against the `switchboard dev kafka` that `ops/test` started.
@Suite("dev broker topic admin")
struct DevKafkaAdminTests {
    let logger = Logger(label: "test")

    @Test("a topic created through the admin has the partitions asked for; asking again leaves it; bad requests are refused with a reason")
    func createTopics() async throws {
        let bootstrap = try PipelineHarness.bootstrap()
        let environment = ["SWITCHBOARD_STATE_DIR": PipelineHarness.repositoryRoot() + "/.run"]
        let address = try #require(DevKafkaAdmin.address(for: bootstrap, environment: environment))
        #expect(DevKafkaAdmin.address(for: "10.1.2.3:9092", environment: environment) == nil)
        let client = HTTPClient(logger: logger)
        defer { client.shutdown() }
        let name = "test.admin.\(UUID().uuidString.prefix(8).lowercased())"
        try await DevKafkaAdmin.createTopics([.init(name: name, partitions: 12)], at: address, client: client)
        try await DevKafkaAdmin.createTopics([.init(name: name, partitions: 3)], at: address, client: client)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap), logger: logger)
        let topics = try await admin.describeTopics()
        #expect(topics[name]?.partitions == 12)

        for (bad, reason) in [(DevKafkaAdmin.TopicRequest(name: "has space", partitions: 2), "[a-zA-Z0-9._-]"),
                              (DevKafkaAdmin.TopicRequest(name: name + ".zero", partitions: 0), "between 1 and 256")] {
            do {
                try await DevKafkaAdmin.createTopics([bad], at: address, client: client)
                Issue.record("\(bad) was accepted")
            } catch {
                #expect("\(error)".contains("HTTP 400") && "\(error)".contains(reason))
            }
        }
        #expect(try await admin.describeTopics()[name + ".zero"] == nil)
    }
}
