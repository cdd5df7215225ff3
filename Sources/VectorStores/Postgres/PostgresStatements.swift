/// The SQL text of the store, in one place.
///
/// Only two things are ever spliced into statement text: the schema, validated as an identifier
/// by the configuration, and an index's numeric id from the catalog (`chunks_17`). Index names,
/// tenants, document ids, texts, metadata and vectors always travel as parameters.
struct PostgresStatements: Sendable {
    let schema: String

    init(schema: String) {
        self.schema = schema
    }

    private var qualified: String { "\"\(schema)\"" }
    func chunks(_ id: Int64) -> String { "\(qualified).chunks_\(id)" }
    func documents(_ id: Int64) -> String { "\(qualified).documents_\(id)" }
    var indexes: String { "\(qualified).indexes" }
    var aliases: String { "\(qualified).aliases" }

    /// The catalog: indexes by name (their tables are named by id, so any name is safe) and
    /// aliases that reference them, so an alias can never point at a missing index.
    var bootstrap: [String] {
        [
            "CREATE EXTENSION IF NOT EXISTS vector",
            "CREATE SCHEMA IF NOT EXISTS \(qualified)",
            """
            CREATE TABLE IF NOT EXISTS \(indexes) (
              id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, dimension int NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE IF NOT EXISTS \(aliases) (
              alias text PRIMARY KEY,
              index_name text NOT NULL REFERENCES \(indexes) (name) ON DELETE CASCADE,
              updated_at timestamptz NOT NULL DEFAULT now())
            """,
        ]
    }

    /// One lock for all catalog changes of this schema (bootstrap, create and drop), so two
    /// processes creating the same index at once do not race on `CREATE TABLE`.
    var catalogLockKey: String { "switchboard.vectors.\(schema)" }

    /// The tables of one index. Chunks are keyed by tenant first, so a tenant's rows and its
    /// document deletes stay local; the HNSW index serves cosine distance (`<=>`).
    func createIndexTables(id: Int64, dimension: Int) -> [String] {
        [
            """
            CREATE TABLE \(chunks(id)) (
              tenant text NOT NULL, document_id text NOT NULL, chunk int NOT NULL,
              text text NOT NULL, metadata jsonb NOT NULL, embedding vector(\(dimension)) NOT NULL,
              PRIMARY KEY (tenant, document_id, chunk))
            """,
            "CREATE INDEX ON \(chunks(id)) USING hnsw (embedding vector_cosine_ops)",
            """
            CREATE TABLE \(documents(id)) (
              tenant text NOT NULL, document_id text NOT NULL, content_hash text NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant, document_id))
            """,
        ]
    }

    func dropIndexTables(id: Int64) -> [String] {
        ["DROP TABLE IF EXISTS \(chunks(id))", "DROP TABLE IF EXISTS \(documents(id))"]
    }

    /// Serialises writers of the same documents (two upserts of one document would otherwise
    /// both delete, then collide on insert). Locks are taken in a fixed order against deadlocks.
    /// `$1`: a JSON array of `{tenant, document_id}`.
    func lockDocuments(id: Int64) -> String {
        """
        SELECT pg_advisory_xact_lock(key) FROM (
          SELECT DISTINCT hashtextextended(d.tenant || chr(31) || d.document_id, \(id)) AS key
          FROM jsonb_to_recordset($1::jsonb) AS d(tenant text, document_id text)) AS keys
        ORDER BY key
        """
    }

    /// `$1`: a JSON array of `{tenant, document_id}`.
    func deleteChunks(id: Int64) -> String {
        """
        DELETE FROM \(chunks(id)) AS c USING jsonb_to_recordset($1::jsonb) AS d(tenant text, document_id text)
        WHERE c.tenant = d.tenant AND c.document_id = d.document_id
        """
    }

    /// `$1`: a JSON array of chunk rows, the embedding as pgvector's text form `[x,y,...]`.
    func insertChunks(id: Int64) -> String {
        """
        INSERT INTO \(chunks(id)) (tenant, document_id, chunk, text, metadata, embedding)
        SELECT r.tenant, r.document_id, r.chunk, r.text, r.metadata, r.embedding::vector
        FROM jsonb_to_recordset($1::jsonb)
          AS r(tenant text, document_id text, chunk int, text text, metadata jsonb, embedding text)
        """
    }

    /// `$1`: a JSON array of `{tenant, document_id, content_hash}`.
    func upsertDocuments(id: Int64) -> String {
        """
        INSERT INTO \(documents(id)) (tenant, document_id, content_hash)
        SELECT d.tenant, d.document_id, d.content_hash
        FROM jsonb_to_recordset($1::jsonb) AS d(tenant text, document_id text, content_hash text)
        ON CONFLICT (tenant, document_id) DO UPDATE SET content_hash = EXCLUDED.content_hash, updated_at = now()
        """
    }

    /// `$1` tenant, `$2` document id.
    func deleteDocumentChunks(id: Int64) -> String {
        "DELETE FROM \(chunks(id)) WHERE tenant = $1 AND document_id = $2"
    }

    func deleteDocumentRow(id: Int64) -> String {
        "DELETE FROM \(documents(id)) WHERE tenant = $1 AND document_id = $2"
    }

    func contentHash(id: Int64) -> String {
        "SELECT content_hash FROM \(documents(id)) WHERE tenant = $1 AND document_id = $2"
    }

    /// `$1` tenant, `$2` filter (a JSON object), `$3` query vector, `$4` k.
    ///
    /// The tenant and filter conditions sit beside the HNSW ordering; with
    /// `hnsw.iterative_scan = relaxed_order` the scan keeps going until `k` rows pass them (up to
    /// `hnsw.max_scan_tuples`). Relaxed order may return neighbours slightly out of order, so
    /// the materialised hits are sorted again, as pgvector recommends.
    func search(id: Int64) -> String {
        """
        WITH hits AS MATERIALIZED (
          SELECT document_id, chunk, text, metadata, embedding <=> $3::vector AS distance
          FROM \(chunks(id))
          WHERE tenant = $1 AND metadata @> $2::jsonb
          ORDER BY embedding <=> $3::vector
          LIMIT $4::int)
        SELECT document_id, chunk, text, metadata::text, distance FROM hits
        ORDER BY distance, document_id, chunk
        """
    }

    func counts(id: Int64) -> String {
        "SELECT (SELECT count(*) FROM \(chunks(id))), (SELECT count(*) FROM \(documents(id)))"
    }
}
