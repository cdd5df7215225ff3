/// How a ``PostgresVectorStore`` reaches its server and lays out its tables.
public struct PostgresVectorStoreConfiguration: Sendable, Equatable {
    /// A libpq connection URL, `postgresql://user@127.0.0.1:5432/switchboard`.
    public var url: String
    /// The schema that holds the store's catalog and index tables; created if missing. Lower-case
    /// letters, digits and `_`, starting with a letter or `_`, at most 63 characters (it is an
    /// SQL identifier, so it is validated rather than quoted from arbitrary input).
    public var schema: String
    /// Connections in the pool: concurrent statements. Default 4.
    public var poolSize: Int
    /// Calls that may wait for a connection before new ones fail fast. Default 1,024.
    public var maxPending: Int
    /// Seconds to wait for a connection to open. Default 5.
    public var connectTimeoutSeconds: Int
    /// `hnsw.ef_search`: candidates the HNSW scan keeps (recall against speed). Default 40, as
    /// pgvector's. With iterative scans a filtered query still returns `k` rows when it can.
    public var efSearch: Int
    /// `hnsw.max_scan_tuples`: how far an iterative scan may go looking for rows that pass the
    /// tenant and metadata filters before it stops. Default 20,000, as pgvector's.
    public var maxScanTuples: Int
    /// What the server shows for these connections in `pg_stat_activity`. Default
    /// `switchboard-vectors`.
    public var applicationName: String

    public init(url: String, schema: String = "switchboard_vectors", poolSize: Int = 4, maxPending: Int = 1024,
                connectTimeoutSeconds: Int = 5, efSearch: Int = 40, maxScanTuples: Int = 20_000,
                applicationName: String = "switchboard-vectors") {
        self.url = url
        self.schema = schema
        self.poolSize = poolSize
        self.maxPending = maxPending
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.efSearch = efSearch
        self.maxScanTuples = maxScanTuples
        self.applicationName = applicationName
    }

    /// Checks what would otherwise fail later, naming the setting.
    func validated() throws(VectorStoreError) -> PostgresVectorStoreConfiguration {
        guard PostgresVectorStoreConfiguration.isIdentifier(schema) else {
            throw VectorStoreError(.invalidArgument,
                                   "postgres schema '\(schema)' must be lower-case letters, digits and _, at most 63 characters")
        }
        guard !url.isEmpty else { throw VectorStoreError(.invalidArgument, "postgres url is empty") }
        guard poolSize >= 1 else { throw VectorStoreError(.invalidArgument, "postgres poolSize must be at least 1") }
        guard (1...1000).contains(efSearch) else {
            throw VectorStoreError(.invalidArgument, "postgres efSearch must be between 1 and 1000 (pgvector's range)")
        }
        guard maxScanTuples >= 1 else { throw VectorStoreError(.invalidArgument, "postgres maxScanTuples must be at least 1") }
        return self
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let isStart = (first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) || first == UInt8(ascii: "_")
        return isStart && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_")
        }
    }
}
