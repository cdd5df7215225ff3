import Foundation
import Kafka
import Yams

/// One topic's contract, as written in `topics/<name>.yaml`.
public struct TopicContract: Sendable, Decodable {
    public struct Header: Sendable, Decodable {
        public var name: String
        public var required: Bool
        public var description: String?
    }

    public var name: String
    public var description: String?
    public var partitions: Int
    public var replicationFactor: Int
    public var config: [String: String]
    public var key: String?
    public var headers: [Header]
    public var schema: JSONSchema

    enum CodingKeys: String, CodingKey {
        case name, description, partitions, replicationFactor = "replication_factor", config, key, headers, schema
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        partitions = try c.decode(Int.self, forKey: .partitions)
        replicationFactor = try c.decodeIfPresent(Int.self, forKey: .replicationFactor) ?? 1
        config = try c.decodeIfPresent([String: String].self, forKey: .config) ?? [:]
        key = try c.decodeIfPresent(String.self, forKey: .key)
        headers = try c.decodeIfPresent([Header].self, forKey: .headers) ?? []
        schema = JSONSchema(try c.decodeIfPresent(JSONValue.self, forKey: .schema) ?? .bool(true))
    }

    /// The specification to create this topic with on a cluster of `brokers` brokers.
    public func specification(brokers: Int) -> TopicSpecification {
        TopicSpecification(name: name, partitions: partitions,
                           replicationFactor: max(1, min(replicationFactor, brokers)), configs: config)
    }

    /// Checks an event value (JSON bytes) and its headers against the contract.
    public func violations(value: [UInt8]?, headers: [KafkaHeader]) -> [String] {
        var problems: [String] = []
        for header in self.headers where header.required && !headers.contains(where: { $0.name == header.name }) {
            problems.append("missing header \(header.name)")
        }
        if case .bool(true) = schema.root { return problems }
        guard let value else { return problems + ["value is empty"] }
        do {
            let json = try JSONValue.parse(value)
            problems += schema.validate(json).map(\.description)
        } catch {
            problems.append("value is not JSON")
        }
        return problems
    }
}

/// Every contract in the `topics/` directory.
public struct TopicCatalog: Sendable {
    public let contracts: [String: TopicContract]

    public init(contracts: [TopicContract]) {
        self.contracts = Dictionary(contracts.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    }

    /// Loads every `*.yaml` file of `directory`; an unreadable contract is an error naming the file.
    public static func load(directory: String) throws(ConfigError) -> TopicCatalog {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        } catch {
            throw ConfigError(path: directory, key: "", message: "cannot list the topic contracts: \(error.localizedDescription)")
        }
        var contracts: [TopicContract] = []
        for file in files {
            let path = directory + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(path: path, key: "", message: "cannot read")
            }
            do {
                contracts.append(try YAMLDecoder().decode(TopicContract.self, from: String(decoding: data, as: UTF8.self)))
            } catch let error as DecodingError {
                throw ConfigError(decoding: error, path: path)
            } catch {
                throw ConfigError(path: path, key: "", message: "\(error)")
            }
        }
        if contracts.isEmpty {
            throw ConfigError(path: directory, key: "", message: "no topic contracts (*.yaml) found")
        }
        return TopicCatalog(contracts: contracts)
    }

    /// `$SWITCHBOARD_TOPICS_DIR`, else `./topics`, else `topics/` beside the checkout the binary was built in.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["SWITCHBOARD_TOPICS_DIR"], !dir.isEmpty { return dir }
        let local = FileManager.default.currentDirectoryPath + "/topics"
        if FileManager.default.fileExists(atPath: local) { return local }
        // .build/<config>/switchboard → the package root is three levels up.
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let root = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("topics").path
        if FileManager.default.fileExists(atPath: root) { return root }
        return local
    }

    public subscript(name: String) -> TopicContract? { contracts[name] }
}
