import Dispatch
import Synchronization

/// The zero-setup vector store: hnswlib graphs in this process, persisted under one directory.
///
/// ```
/// <directory>/aliases              alias<TAB>index lines, replaced atomically
/// <directory>/indexes/<name>/      one `EmbeddedIndex` each (manifest, snapshot, log)
/// ```
///
/// Durability: `upsert` and `deleteDocument` return once their record is fsync'd in the index's
/// log; a kill loses at most a write that had not returned, and never damages what is on disk
/// (see `EmbeddedIndex`). A snapshot is taken when a log passes `snapshotLogBytes` and on
/// `close()`, so reopening replays little.
///
/// Thread safety: the store is `Sendable`. Every mutation and all file I/O (fsync, snapshots)
/// run one at a time on a private serial dispatch queue, never on the cooperative pool; callers
/// await them. Searches and other reads run directly on the caller's thread under each index's
/// read lock, so concurrent searches proceed in parallel and only wait for the write lock held
/// while one document is applied in memory.
public final class EmbeddedVectorStore: VectorStore, @unchecked Sendable {
    /// Graph and persistence settings, with hnswlib's usual defaults.
    public struct Configuration: Sendable {
        public var directory: String
        /// Links per node (hnswlib M): more raise recall and memory.
        public var m: Int = 16
        /// Candidates while inserting: more build a better graph, slower.
        public var efConstruction: Int = 200
        /// Candidates while searching (at least k is used): the recall/speed knob.
        public var efSearch: Int = 64
        /// Log size that triggers a snapshot after a write.
        public var snapshotLogBytes: Int = 256 << 20

        public init(directory: String) {
            self.directory = directory
        }
    }

    public let kind = "embedded"
    public let configuration: Configuration
    private let writer = DispatchQueue(label: "switchboard.embedded-vector-store.writer")
    private let indexes = Mutex<[String: EmbeddedIndex]>([:])
    private let aliasTable = Mutex<[String: String]>([:])
    private let closed = Mutex(false)

    private var parameters: HnswGraph.Parameters {
        HnswGraph.Parameters(m: configuration.m, efConstruction: configuration.efConstruction)
    }

    private var indexesDirectory: String { configuration.directory + "/indexes" }
    private var aliasesFile: String { configuration.directory + "/aliases" }

    private init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Opens (creating) the store in `configuration.directory`, loading every index and replaying
    /// its log, on the writer queue.
    public static func open(_ configuration: Configuration) async throws -> EmbeddedVectorStore {
        let store = EmbeddedVectorStore(configuration: configuration)
        try await store.onWriter { try store.load() }
        return store
    }

    public static func open(directory: String) async throws -> EmbeddedVectorStore {
        try await open(Configuration(directory: directory))
    }

    private func load() throws {
        try DurableFile.makeDirectory(configuration.directory)
        try DurableFile.makeDirectory(indexesDirectory)
        var loaded: [String: EmbeddedIndex] = [:]
        for entry in try DurableFile.list(indexesDirectory) {
            let path = indexesDirectory + "/" + entry
            if entry.hasPrefix(".") {  // a drop that a kill interrupted
                try DurableFile.remove(path)
                continue
            }
            loaded[entry] = try EmbeddedIndex.open(name: entry, directory: path, parameters: parameters, efSearch: configuration.efSearch)
        }
        var aliases: [String: String] = [:]
        for line in String(decoding: try DurableFile.read(aliasesFile) ?? [], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { throw VectorStoreError(.corrupt, "unreadable line in \(aliasesFile): \(line)") }
            aliases[String(parts[0])] = String(parts[1])
        }
        indexes.withLock { $0 = loaded }
        aliasTable.withLock { $0 = aliases }
    }

    // MARK: Indexes

    public func createIndex(name: String, dimension: Int) async throws {
        try IndexName.validate(name)
        guard dimension > 0 else { throw VectorStoreError(.invalidArgument, "dimension must be positive, got \(dimension)") }
        try await onWriter { [self] in
            if let existing = indexes.withLock({ $0[name] }) {
                guard existing.dimension == dimension else {
                    throw VectorStoreError(.dimensionMismatch, "index \(name) exists with dimension \(existing.dimension), not \(dimension)")
                }
                return
            }
            let index = try EmbeddedIndex.create(name: name, directory: indexesDirectory + "/" + name, dimension: dimension,
                                                 parameters: parameters, efSearch: configuration.efSearch)
            indexes.withLock { $0[name] = index }
        }
    }

    /// Forgets the index first, then renames its directory to a hidden name (atomic) before
    /// deleting it, so a kill half-way through never leaves a half-deleted index that loads.
    public func dropIndex(name: String) async throws {
        guard (try? IndexName.validate(name)) != nil else { return }
        try await onWriter { [self] in
            guard let index = indexes.withLock({ $0.removeValue(forKey: name) }) else { return }
            index.close()
            let doomed = indexesDirectory + "/.dropped-" + name
            try DurableFile.remove(doomed)
            try DurableFile.rename(index.directory, to: doomed)
            try DurableFile.remove(doomed)
            let remaining = aliasTable.withLock { $0.filter { $0.value != name } }
            if remaining.count != aliasTable.withLock({ $0.count }) { try writeAliases(remaining) }
        }
    }

    public func listIndexes() async throws -> [IndexInfo] {
        indexes.withLock { Array($0.values) }.map { $0.info() }.sorted { $0.name < $1.name }
    }

    // MARK: Documents

    public func upsert(_ documents: [DocumentVectors], into name: String) async throws {
        let index = try lookup(name)
        try await onWriter { [self] in
            try index.upsert(documents)
            if index.logSize > configuration.snapshotLogBytes { try index.snapshot() }
        }
    }

    public func deleteDocument(tenant: String, documentID: String, from name: String) async throws {
        let index = try lookup(name)
        try await onWriter { try index.delete(tenant: tenant, documentID: documentID) }
    }

    public func contentHash(tenant: String, documentID: String, in name: String) async throws -> String? {
        try lookup(name).contentHash(tenant: tenant, documentID: documentID)
    }

    /// Runs on the caller's thread: a graph search is CPU work of a fraction of a millisecond
    /// under a read lock, cheaper than any hop to another thread.
    public func search(_ query: VectorQuery, in name: String) async throws -> [VectorHit] {
        try lookup(name).search(query)
    }

    /// Candidates kept per graph search for every index (see `Configuration.efSearch`).
    public func setSearchEf(_ ef: Int) {
        for index in indexes.withLock({ Array($0.values) }) { index.setEf(max(1, ef)) }
    }

    // MARK: Aliases

    public func setAlias(_ alias: String, to name: String) async throws {
        try IndexName.validate(alias)
        try await onWriter { [self] in
            _ = try lookup(name)
            var updated = aliasTable.withLock { $0 }
            updated[alias] = name
            try writeAliases(updated)
        }
    }

    public func resolveAlias(_ alias: String) async throws -> String? {
        aliasTable.withLock { $0[alias] }
    }

    public func aliases() async throws -> [String: String] {
        aliasTable.withLock { $0 }
    }

    /// Durable first, visible second: readers never see an alias a kill could take back.
    private func writeAliases(_ aliases: [String: String]) throws {
        let text = aliases.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        try DurableFile.replace(aliasesFile, with: Array(text.utf8))
        aliasTable.withLock { $0 = aliases }
    }

    // MARK: Lifecycle

    /// Snapshots every index with a non-empty log, so the next open replays nothing.
    public func close() async throws {
        guard !closed.withLock({ let was = $0; $0 = true; return was }) else { return }
        try await onWriter { [self] in
            for index in indexes.withLock({ Array($0.values) }) {
                if index.logSize > 0 { try index.snapshot() }
                index.close()
            }
        }
    }

    private func lookup(_ name: String) throws -> EmbeddedIndex {
        guard let index = indexes.withLock({ $0[name] }) else { throw VectorStoreError(.unknownIndex, "no index named \(name)") }
        return index
    }

    private func onWriter<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writer.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
