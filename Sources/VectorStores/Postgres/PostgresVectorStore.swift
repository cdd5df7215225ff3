import Synchronization

/// The vector store on PostgreSQL with pgvector: a table per index (tenant, document, chunk,
/// text, `metadata jsonb`, `embedding vector(N)`) with an HNSW index for cosine distance, a
/// table of per-document content hashes beside it, and a catalog of indexes and aliases.
///
/// Every write is one transaction, so queries see a document's old chunks or its new ones,
/// never a mix, and an alias switch is one row update. Search is scoped by tenant in SQL
/// (`WHERE tenant = $1`) with pgvector's iterative index scans, so a filtered query still
/// returns `k` rows when the tenant has them.
///
/// Thread safety: `Sendable`; calls may come from any task. Each runs on one pooled connection
/// on a thread of its own (see `PostgresClient`).
public final class PostgresVectorStore: VectorStore {
    public var kind: String { "pgvector" }

    /// An index as the catalog knows it: its tables are named by `id`.
    struct IndexEntry: Sendable {
        let id: Int64
        let dimension: Int
    }

    let configuration: PostgresVectorStoreConfiguration
    let client: PostgresClient
    let statements: PostgresStatements
    /// Index names to catalog entries. Ids are never reused, so a stale entry (the index was
    /// dropped or recreated elsewhere) shows as a missing table and is looked up again.
    private let entries = Mutex<[String: IndexEntry]>([:])

    private init(configuration: PostgresVectorStoreConfiguration, client: PostgresClient) {
        self.configuration = configuration
        self.client = client
        self.statements = PostgresStatements(schema: configuration.schema)
    }

    /// Connects, creates pgvector, the schema and the catalog if missing, and returns the store.
    /// Throws `.unavailable` naming the address when the server cannot be reached.
    public static func open(_ configuration: PostgresVectorStoreConfiguration) async throws(VectorStoreError) -> PostgresVectorStore {
        let configuration = try configuration.validated()
        let settings = PostgresClient.Settings(
            url: configuration.url, poolSize: configuration.poolSize, maxPending: configuration.maxPending,
            connectTimeoutSeconds: configuration.connectTimeoutSeconds, applicationName: configuration.applicationName,
            sessionSettings: [
                // The catalog's `IF NOT EXISTS` notices would otherwise go to stderr.
                ("client_min_messages", "warning"),
                ("hnsw.ef_search", String(configuration.efSearch)),
                ("hnsw.iterative_scan", "relaxed_order"),
                ("hnsw.max_scan_tuples", String(configuration.maxScanTuples)),
            ])
        let store = PostgresVectorStore(configuration: configuration, client: PostgresClient(settings: settings))
        let statements = store.statements
        do {
            try await store.client.perform { connection throws(PostgresError) in
                try connection.transaction { connection throws(PostgresError) in
                    try connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", [statements.catalogLockKey])
                    for statement in statements.bootstrap { try connection.execute(statement) }
                }
            }
        } catch {
            store.client.shutdown()
            throw Self.storeError(error, doing: "open the vector store")
        }
        return store
    }

    // MARK: - Indexes

    public func createIndex(name: String, dimension: Int) async throws {
        try Self.checkName(name, "index")
        guard (1...2000).contains(dimension) else {
            throw VectorStoreError(.invalidArgument, "dimension \(dimension) is outside 1...2000 (pgvector's HNSW limit)")
        }
        let statements = self.statements
        let outcome = try await run("create index '\(name)'") { connection throws(PostgresError) -> Result<IndexEntry, VectorStoreError> in
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", [statements.catalogLockKey])
                if let existing = try Self.lookup(name, statements, connection) {
                    guard existing.dimension == dimension else {
                        return .failure(VectorStoreError(.dimensionMismatch,
                                                         "index '\(name)' exists with dimension \(existing.dimension), not \(dimension)"))
                    }
                    return .success(existing)
                }
                let inserted = try connection.execute(
                    "INSERT INTO \(statements.indexes) (name, dimension) VALUES ($1, $2) RETURNING id", [name, String(dimension)])
                guard let id = inserted.scalar.flatMap({ Int64($0) }) else {
                    throw PostgresError(.protocolError, "INSERT ... RETURNING id gave no id", address: connection.address)
                }
                for statement in statements.createIndexTables(id: id, dimension: dimension) { try connection.execute(statement) }
                return .success(IndexEntry(id: id, dimension: dimension))
            }
        }
        remember(name, try outcome.get())
    }

    public func dropIndex(name: String) async throws {
        let statements = self.statements
        forget(name)
        try await run("drop index '\(name)'") { connection throws(PostgresError) in
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", [statements.catalogLockKey])
                let deleted = try connection.execute("DELETE FROM \(statements.indexes) WHERE name = $1 RETURNING id", [name])
                for row in deleted.rows {
                    guard let id = row.first.flatMap({ $0 }).flatMap({ Int64($0) }) else { continue }
                    for statement in statements.dropIndexTables(id: id) { try connection.execute(statement) }
                }
            }
        }
        forget(name)
    }

    public func listIndexes() async throws -> [IndexInfo] {
        let statements = self.statements
        return try await run("list indexes") { connection throws(PostgresError) in
            // One snapshot for the catalog and every count.
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.execute("COMMIT") }
            let catalog = try connection.execute("SELECT id, name, dimension FROM \(statements.indexes) ORDER BY name")
            var infos: [IndexInfo] = []
            for row in catalog.rows {
                guard row.count == 3, let id = row[0].flatMap({ Int64($0) }), let name = row[1],
                      let dimension = row[2].flatMap({ Int($0) }) else { continue }
                let counts = try connection.execute(statements.counts(id: id))
                let values = counts.rows.first ?? []
                infos.append(IndexInfo(name: name, dimension: dimension,
                                       chunks: values.first.flatMap { $0 }.flatMap { Int($0) } ?? 0,
                                       documents: values.dropFirst().first.flatMap { $0 }.flatMap { Int($0) } ?? 0))
            }
            return infos
        }
    }

    // MARK: - Aliases

    public func setAlias(_ alias: String, to index: String) async throws {
        try Self.checkName(alias, "alias")
        let statements = self.statements
        let updated = try await run("point alias '\(alias)' at '\(index)'") { connection throws(PostgresError) in
            // One statement: the alias moves atomically, and only to an index that exists now
            // (the foreign key keeps it from pointing at one dropped concurrently).
            try connection.execute("""
                INSERT INTO \(statements.aliases) (alias, index_name)
                SELECT $1, name FROM \(statements.indexes) WHERE name = $2
                ON CONFLICT (alias) DO UPDATE SET index_name = EXCLUDED.index_name, updated_at = now()
                """, [alias, index]).affected
        }
        if updated == 0 {
            throw VectorStoreError(.unknownIndex, "cannot point alias '\(alias)' at '\(index)': no such index")
        }
    }

    public func resolveAlias(_ alias: String) async throws -> String? {
        let statements = self.statements
        return try await run("resolve alias '\(alias)'") { connection throws(PostgresError) in
            try connection.execute("SELECT index_name FROM \(statements.aliases) WHERE alias = $1", [alias]).scalar
        }
    }

    public func aliases() async throws -> [String: String] {
        let statements = self.statements
        let rows = try await run("list aliases") { connection throws(PostgresError) in
            try connection.execute("SELECT alias, index_name FROM \(statements.aliases)").rows
        }
        var result: [String: String] = [:]
        for row in rows where row.count == 2 {
            if let alias = row[0], let index = row[1] { result[alias] = index }
        }
        return result
    }

    public func close() async throws {
        client.shutdown()
    }

    // MARK: - Running work

    /// Runs `body` on a pooled connection and converts its errors to the store's.
    func run<T: Sendable>(_ doing: String,
                          _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T) async throws(VectorStoreError) -> T {
        do {
            return try await client.perform(body)
        } catch {
            throw Self.storeError(error, doing: doing)
        }
    }

    /// Runs `body` with the catalog entry of `index`, from the cache or looked up on the same
    /// connection. A cached entry can only be stale because another client dropped or re-created
    /// the index: its table is then gone (42P01), or its dimension differs and `body` reports a
    /// mismatch; either way the entry is looked up once more and `body` runs again with the
    /// current one. A missing index gives `.unknownIndex`.
    func withIndex<T: Sendable>(
        _ index: String, _ doing: String,
        _ body: @escaping @Sendable (PostgresConnection, IndexEntry) throws(PostgresError) -> Result<T, VectorStoreError>
    ) async throws(VectorStoreError) -> T {
        let cached = entries.withLock { $0[index] }
        let statements = self.statements
        let outcome = try await run(doing) { connection throws(PostgresError) -> (Result<T, VectorStoreError>, IndexEntry?) in
            if let cached {
                do throws(PostgresError) {
                    let result = try body(connection, cached)
                    guard case .failure(let error) = result, error.code == .dimensionMismatch else { return (result, cached) }
                    guard let current = try Self.lookup(index, statements, connection), current.id != cached.id else {
                        return (result, cached)
                    }
                    return (try body(connection, current), current)
                } catch {
                    guard error.sqlState == "42P01" else { throw error }
                }
            }
            guard let entry = try Self.lookup(index, statements, connection) else {
                return (.failure(VectorStoreError(.unknownIndex, "cannot \(doing): no index named '\(index)'")), nil)
            }
            return (try body(connection, entry), entry)
        }
        if let entry = outcome.1 { remember(index, entry) } else { forget(index) }
        return try outcome.0.get()
    }

    static func lookup(_ name: String, _ statements: PostgresStatements,
                       _ connection: PostgresConnection) throws(PostgresError) -> IndexEntry? {
        let rows = try connection.execute("SELECT id, dimension FROM \(statements.indexes) WHERE name = $1", [name])
        guard let row = rows.rows.first, row.count == 2,
              let id = row[0].flatMap({ Int64($0) }), let dimension = row[1].flatMap({ Int($0) }) else { return nil }
        return IndexEntry(id: id, dimension: dimension)
    }

    private func remember(_ name: String, _ entry: IndexEntry) {
        entries.withLock { $0[name] = entry }
    }

    private func forget(_ name: String) {
        _ = entries.withLock { $0.removeValue(forKey: name) }
    }

    /// Connection trouble is `.unavailable` (retry later); the server rejecting a value is
    /// `.invalidArgument`; anything else is `.io`. The message keeps the address and SQLSTATE.
    static func storeError(_ error: PostgresError, doing: String) -> VectorStoreError {
        switch error.code {
        case .connectionFailed, .closed, .overloaded:
            return VectorStoreError(.unavailable, "cannot \(doing): \(error)")
        case .server where error.sqlState?.hasPrefix("22") == true:
            return VectorStoreError(.invalidArgument, "cannot \(doing): \(error)")
        case .server, .protocolError:
            return VectorStoreError(.io, "cannot \(doing): \(error)")
        }
    }
}
