/// One index of the embedded store: its tenants' graphs in memory, and on disk a directory with
/// a manifest, the latest snapshot and the write-ahead log written since.
///
/// ```
/// <index>/manifest        dimension (written once, atomically)
/// <index>/snap-<G>/       state.bin + graph-<n>.hnsw: everything before log-<G>
/// <index>/log-<G>         writes acknowledged since snapshot G, each fsync'd before its ack
/// ```
///
/// A snapshot is written as `snap-<G>.tmp` and renamed when complete, so a kill leaves either the
/// old snapshot or the new one. Taking snapshot G+1 first starts `log-<G+1>`, then writes the
/// state (which covers `log-<G>`), renames, and only then removes `snap-<G>` and `log-<G>`: at
/// every instant the newest complete snapshot plus the logs from its generation on hold every
/// acknowledged write. Opening loads that snapshot and replays those logs.
///
/// Thread safety: mutations and snapshots run only on the store's serial writer queue; searches
/// run on any thread under the read side of `lock`, which writes take per document.
final class EmbeddedIndex: @unchecked Sendable {
    let name: String
    let directory: String
    let dimension: Int
    private let parameters: HnswGraph.Parameters
    private let lock = ReadWriteLock()
    private var tenants: [String: TenantGraph] = [:]
    private var efSearch: Int
    private var generation = 0
    private var log: WriteAheadLog?
    /// Set when applying an acknowledged record failed half-way: memory no longer matches the
    /// log, so the index refuses work until the store is reopened (and the log replayed).
    private var failure: VectorStoreError?

    private enum Operation: UInt8 {
        case upsert = 1
        case delete = 2
    }

    private init(name: String, directory: String, dimension: Int, parameters: HnswGraph.Parameters, efSearch: Int) {
        self.name = name
        self.directory = directory
        self.dimension = dimension
        self.parameters = parameters
        self.efSearch = efSearch
    }

    /// Creates the directory and manifest of a new, empty index.
    static func create(name: String, directory: String, dimension: Int, parameters: HnswGraph.Parameters,
                       efSearch: Int) throws -> EmbeddedIndex {
        try DurableFile.makeDirectory(directory)
        try DurableFile.replace(directory + "/manifest", with: Array("dimension=\(dimension)\n".utf8))
        try DurableFile.syncDirectory(DurableFile.parent(of: directory))
        return try open(name: name, directory: directory, parameters: parameters, efSearch: efSearch)
    }

    /// Loads the newest complete snapshot and replays the logs written since.
    static func open(name: String, directory: String, parameters: HnswGraph.Parameters, efSearch: Int) throws -> EmbeddedIndex {
        guard let manifest = try DurableFile.read(directory + "/manifest"),
              let line = String(decoding: manifest, as: UTF8.self).split(separator: "\n").first,
              line.hasPrefix("dimension="), let dimension = Int(line.dropFirst("dimension=".count)), dimension > 0 else {
            throw VectorStoreError(.corrupt, "index \(name): missing or unreadable manifest in \(directory)")
        }
        let index = EmbeddedIndex(name: name, directory: directory, dimension: dimension, parameters: parameters, efSearch: efSearch)
        let entries = try DurableFile.list(directory)
        for entry in entries where entry.hasSuffix(".tmp") { try DurableFile.remove(directory + "/" + entry) }
        let snapshots = entries.compactMap { $0.hasPrefix("snap-") && !$0.hasSuffix(".tmp") ? Int($0.dropFirst(5)) : nil }
        if let newest = snapshots.max() {
            try index.loadSnapshot(directory + "/snap-\(newest)")
            index.generation = newest
        }
        let logs = entries.compactMap { $0.hasPrefix("log-") ? Int($0.dropFirst(4)) : nil }.filter { $0 >= index.generation }.sorted()
        for generation in logs {
            let (log, records) = try WriteAheadLog.open(directory + "/log-\(generation)")
            for record in records { try index.replay(record) }
            index.log = log
            index.generation = generation
        }
        if index.log == nil {
            index.log = try WriteAheadLog.open(directory + "/log-\(index.generation)").0
        }
        // Files a finished snapshot made obsolete but a kill left behind.
        if let newest = snapshots.max() { try index.removeGenerations(before: newest) }
        return index
    }

    var logSize: Int { log?.size ?? 0 }

    // MARK: Writes (writer queue only)

    /// Validates, logs durably, then applies: returns once the batch survives a kill.
    func upsert(_ documents: [DocumentVectors]) throws {
        if let failure { throw failure }
        for document in documents { try DocumentCheck.validate(document, dimension: dimension) }
        var writer = BinaryWriter(capacity: documents.reduce(64) { $0 + $1.chunks.count * (dimension * 4 + 128) })
        writer.write(Operation.upsert.rawValue)
        writer.write(UInt32(documents.count))
        for document in documents {
            writer.write(document.tenant)
            writer.write(document.documentID)
            writer.write(document.contentHash)
            writer.write(UInt32(document.chunks.count))
            for chunk in document.chunks {
                writer.write(chunk.chunkIndex)
                writer.write(chunk.text)
                writer.write(chunk.metadata)
                writer.write(chunk.vector)
            }
        }
        try appendAndApply(writer.bytes)
    }

    func delete(tenant: String, documentID: String) throws {
        if let failure { throw failure }
        guard lock.read({ tenants[tenant]?.contentHash(documentID) != nil }) else { return }
        var writer = BinaryWriter()
        writer.write(Operation.delete.rawValue)
        writer.write(tenant)
        writer.write(documentID)
        try appendAndApply(writer.bytes)
    }

    private func appendAndApply(_ record: [UInt8]) throws {
        guard let log else { throw VectorStoreError(.unavailable, "index \(name) is closed") }
        try log.append(record)
        do {
            try replay(record)
        } catch {
            let failed = VectorStoreError(.unavailable, "index \(name) failed to apply a logged write (\(error)); reopen the store to replay it")
            lock.write { failure = failed }
            throw failed
        }
    }

    /// Applies one log record to memory, a document at a time under the write lock so a search
    /// sees each document either before or after, never half-way.
    private func replay(_ record: [UInt8]) throws {
        try record.withUnsafeBytes { bytes in
            var reader = BinaryReader(bytes)
            switch Operation(rawValue: try reader.uint8()) {
            case .upsert:
                for _ in 0..<Int(try reader.uint32()) {
                    let tenant = try reader.string(), documentID = try reader.string(), hash = try reader.string()
                    var chunks: [VectorRecord] = []
                    for _ in 0..<Int(try reader.uint32()) {
                        let chunkIndex = try reader.int(), text = try reader.string(), metadata = try reader.metadata()
                        chunks.append(VectorRecord(tenant: tenant, documentID: documentID, chunkIndex: chunkIndex, text: text,
                                                   metadata: metadata, vector: try reader.floats()))
                    }
                    let document = DocumentVectors(tenant: tenant, documentID: documentID, contentHash: hash, chunks: chunks)
                    try DocumentCheck.validate(document, dimension: dimension)
                    let graph = try lock.read { tenants[tenant] } ?? makeTenant(tenant)
                    try lock.write { try graph.apply(document) }
                }
            case .delete:
                let tenant = try reader.string(), documentID = try reader.string()
                try lock.write { try tenants[tenant]?.delete(documentID: documentID) }
            case nil:
                throw VectorStoreError(.corrupt, "index \(name): unknown log record")
            }
        }
    }

    private func makeTenant(_ tenant: String) throws -> TenantGraph {
        let graph = try HnswGraph(dimension: dimension, capacity: 1024, parameters: parameters)
        graph.setEf(efSearch)
        let created = TenantGraph(graph: graph)
        lock.write { tenants[tenant] = created }
        return created
    }

    // MARK: Snapshots (writer queue only)

    /// Writes snapshot G+1 and drops what it replaces (see the type's comment for the order).
    func snapshot() throws {
        if let failure { throw failure }
        let next = generation + 1
        log = try WriteAheadLog.open(directory + "/log-\(next)").0
        let temporary = directory + "/snap-\(next).tmp"
        try DurableFile.remove(temporary)
        try DurableFile.makeDirectory(temporary)
        try lock.read {
            var state = BinaryWriter(capacity: 1 << 16)
            let sorted = tenants.sorted { $0.key < $1.key }
            state.write(UInt32(sorted.count))
            for (n, (tenant, graph)) in sorted.enumerated() {
                let graphPath = temporary + "/graph-\(n).hnsw"
                try graph.graph.save(to: graphPath)
                try DurableFile.syncFile(graphPath)
                state.write(tenant)
                graph.encode(into: &state)
            }
            try DurableFile.replace(temporary + "/state.bin", with: state.bytes)
        }
        try DurableFile.syncDirectory(temporary)
        try DurableFile.rename(temporary, to: directory + "/snap-\(next)")
        generation = next
        try removeGenerations(before: next)
    }

    /// Deletes the snapshots and logs that snapshot `generation` made obsolete (also those a kill
    /// during an earlier snapshot left behind).
    private func removeGenerations(before generation: Int) throws {
        for entry in try DurableFile.list(directory) {
            let number = entry.hasPrefix("snap-") ? Int(entry.dropFirst(5)) : entry.hasPrefix("log-") ? Int(entry.dropFirst(4)) : nil
            if let number, number < generation { try DurableFile.remove(directory + "/" + entry) }
        }
        try DurableFile.syncDirectory(directory)
    }

    private func loadSnapshot(_ path: String) throws {
        guard let bytes = try DurableFile.read(path + "/state.bin") else {
            throw VectorStoreError(.corrupt, "snapshot \(path) has no state.bin")
        }
        try bytes.withUnsafeBytes { buffer in
            var reader = BinaryReader(buffer)
            for n in 0..<Int(try reader.uint32()) {
                let tenant = try reader.string()
                let graph = try HnswGraph(loading: path + "/graph-\(n).hnsw", dimension: dimension)
                graph.setEf(efSearch)
                tenants[tenant] = try TenantGraph.decode(from: &reader, graph: graph)
            }
        }
    }

    func close() {
        log = nil
    }

    // MARK: Reads (any thread)

    func search(_ query: VectorQuery) throws -> [VectorHit] {
        try DocumentCheck.validate(query, dimension: dimension)
        return try lock.read {
            if let failure { throw failure }
            guard let tenant = tenants[query.tenant] else { return [] }
            return try tenant.search(query, ef: efSearch)
        }
    }

    func contentHash(tenant: String, documentID: String) -> String? {
        lock.read { tenants[tenant]?.contentHash(documentID) }
    }

    func info() -> IndexInfo {
        lock.read {
            IndexInfo(name: name, dimension: dimension, chunks: tenants.values.reduce(0) { $0 + $1.liveChunks },
                      documents: tenants.values.reduce(0) { $0 + $1.documents.count })
        }
    }

    /// Candidates kept per graph search (hnswlib's ef); applies to every tenant's graph.
    func setEf(_ ef: Int) {
        lock.write {
            efSearch = ef
            for tenant in tenants.values { tenant.graph.setEf(ef) }
        }
    }
}
