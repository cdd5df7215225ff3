/// One tenant's chunks in one index: its own hnswlib graph plus the records its labels stand for.
///
/// A graph per tenant makes isolation structural (a search cannot reach another tenant's points,
/// whatever the filter or k) and keeps each search as fast as the bare library on that tenant's
/// data, since hnswlib 0.6.2 cannot filter while it searches.
///
/// Labels are dense per graph and assigned once per chunk id (`documentID#chunkIndex`): a
/// re-upserted chunk updates its own point in place, and a deleted one keeps its slot for when it
/// returns, so the graph grows with the distinct chunks ever stored, not with every write.
/// Callers hold the index lock: writes under the write lock, searches under the read lock.
final class TenantGraph {
    struct ChunkKey: Hashable {
        var documentID: String
        var chunkIndex: Int
    }

    struct ChunkRecord {
        var documentID: String
        var chunkIndex: Int
        var text: String
        var metadata: [String: String]
    }

    struct StoredDocument {
        var contentHash: String
        var chunkIndexes: [Int]
    }

    let graph: HnswGraph
    private(set) var labels: [ChunkKey: UInt64] = [:]
    /// By label; nil for a label whose chunk is deleted.
    private(set) var records: [ChunkRecord?] = []
    private(set) var documents: [String: StoredDocument] = [:]
    private(set) var liveChunks = 0

    init(graph: HnswGraph) {
        self.graph = graph
    }

    /// Makes the document's chunks exactly `document.chunks`. A chunk whose vector is unchanged
    /// keeps its point untouched, so re-upserting the same document does not move the graph.
    func apply(_ document: DocumentVectors) throws {
        var kept = Set<Int>()
        for chunk in document.chunks {
            let key = ChunkKey(documentID: document.documentID, chunkIndex: chunk.chunkIndex)
            let record = ChunkRecord(documentID: document.documentID, chunkIndex: chunk.chunkIndex, text: chunk.text, metadata: chunk.metadata)
            kept.insert(chunk.chunkIndex)
            if let label = labels[key] {
                let live = records[Int(label)] != nil
                let unchanged = try live && graph.vector(label) == chunk.vector
                if !unchanged {
                    try chunk.vector.withUnsafeBufferPointer { try graph.add($0.baseAddress!, label: label) }
                }
                if !live { liveChunks += 1 }
                records[Int(label)] = record
            } else {
                let label = UInt64(records.count)
                try chunk.vector.withUnsafeBufferPointer { try graph.add($0.baseAddress!, label: label) }
                labels[key] = label
                records.append(record)
                liveChunks += 1
            }
        }
        for index in documents[document.documentID]?.chunkIndexes ?? [] where !kept.contains(index) {
            try removeChunk(ChunkKey(documentID: document.documentID, chunkIndex: index))
        }
        documents[document.documentID] = StoredDocument(contentHash: document.contentHash, chunkIndexes: kept.sorted())
    }

    func delete(documentID: String) throws {
        guard let document = documents.removeValue(forKey: documentID) else { return }
        for index in document.chunkIndexes {
            try removeChunk(ChunkKey(documentID: documentID, chunkIndex: index))
        }
    }

    private func removeChunk(_ key: ChunkKey) throws {
        guard let label = labels[key], records[Int(label)] != nil else { return }
        try graph.markDeleted(label)
        records[Int(label)] = nil
        liveChunks -= 1
    }

    func contentHash(_ documentID: String) -> String? { documents[documentID]?.contentHash }

    /// The `k` best live chunks matching `filter`. Without a filter this is one graph search.
    /// With one, it over-fetches `max(4k, ef)` candidates and filters them; when that leaves
    /// fewer than k and the graph holds more, the filter is selective and an exact scan of the
    /// matching chunks answers instead (cheap precisely because few chunks match).
    func search(_ query: VectorQuery, ef: Int) throws -> [VectorHit] {
        guard query.k > 0, liveChunks > 0 else { return [] }
        return try query.vector.withUnsafeBufferPointer { vector in
            let q = vector.baseAddress!
            if query.filter.isEmpty {
                return try graphSearch(q, fetch: min(query.k, liveChunks)) { _ in true }
            }
            let fetch = min(liveChunks, max(4 * query.k, ef))
            let hits = try graphSearch(q, fetch: fetch) { $0.metadata.matches(query.filter) }
            if hits.count >= query.k || fetch >= liveChunks { return Array(hits.prefix(query.k)) }
            return try exactScan(q, k: query.k, filter: query.filter)
        }
    }

    private func graphSearch(_ query: UnsafePointer<Float>, fetch: Int, where keep: (ChunkRecord) -> Bool) throws -> [VectorHit] {
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: fetch) { labels in
            try withUnsafeTemporaryAllocation(of: Float.self, capacity: fetch) { scores in
                let found = try graph.search(query, k: fetch, labels: labels.baseAddress!, scores: scores.baseAddress!)
                var hits: [VectorHit] = []
                hits.reserveCapacity(found)
                for i in 0..<found {
                    guard Int(labels[i]) < records.count, let record = records[Int(labels[i])], keep(record) else { continue }
                    hits.append(VectorHit(documentID: record.documentID, chunkIndex: record.chunkIndex, text: record.text,
                                          metadata: record.metadata, score: scores[i]))
                }
                return hits
            }
        }
    }

    private func exactScan(_ query: UnsafePointer<Float>, k: Int, filter: [String: String]) throws -> [VectorHit] {
        var candidates: [UInt64] = []
        for (label, record) in records.enumerated() where record?.metadata.matches(filter) == true {
            candidates.append(UInt64(label))
        }
        let scores = try graph.scores(query, labels: candidates)
        var top = TopK(k: k)
        for (i, score) in scores.enumerated() { top.offer(i, score: score) }
        return top.sorted().compactMap { i, score in
            // Candidates are live labels collected above; a nil would be a hole, skipped.
            guard let record = records[Int(candidates[i])] else { return nil }
            return VectorHit(documentID: record.documentID, chunkIndex: record.chunkIndex, text: record.text,
                             metadata: record.metadata, score: score)
        }
    }
}

extension TenantGraph {
    /// The records, labels and documents of a snapshot (the graph is saved beside them).
    func encode(into writer: inout BinaryWriter) {
        writer.write(UInt32(records.count))
        writer.write(UInt32(labels.count))
        for (key, label) in labels.sorted(by: { $0.value < $1.value }) {
            writer.write(label)
            writer.write(key.documentID)
            writer.write(key.chunkIndex)
        }
        writer.write(UInt32(liveChunks))
        for (label, record) in records.enumerated() {
            guard let record else { continue }
            writer.write(UInt64(label))
            writer.write(record.text)
            writer.write(record.metadata)
        }
        writer.write(UInt32(documents.count))
        for (id, document) in documents.sorted(by: { $0.key < $1.key }) {
            writer.write(id)
            writer.write(document.contentHash)
            writer.write(UInt32(document.chunkIndexes.count))
            for index in document.chunkIndexes { writer.write(index) }
        }
    }

    static func decode(from reader: inout BinaryReader, graph: HnswGraph) throws -> TenantGraph {
        let tenant = TenantGraph(graph: graph)
        let slots = Int(try reader.uint32())
        guard slots == graph.count else {
            throw VectorStoreError(.corrupt, "the snapshot lists \(slots) points, its graph holds \(graph.count)")
        }
        var keys = [ChunkKey?](repeating: nil, count: slots)
        for _ in 0..<Int(try reader.uint32()) {
            let label = Int(try reader.uint64())
            let key = ChunkKey(documentID: try reader.string(), chunkIndex: try reader.int())
            guard label < slots else { throw VectorStoreError(.corrupt, "label \(label) beyond the graph's \(slots) points") }
            keys[label] = key
            tenant.labels[key] = UInt64(label)
        }
        tenant.records = [ChunkRecord?](repeating: nil, count: slots)
        let live = Int(try reader.uint32())
        for _ in 0..<live {
            let label = Int(try reader.uint64())
            guard label < slots, let key = keys[label] else { throw VectorStoreError(.corrupt, "a record for unknown label \(label)") }
            tenant.records[label] = ChunkRecord(documentID: key.documentID, chunkIndex: key.chunkIndex,
                                                text: try reader.string(), metadata: try reader.metadata())
        }
        tenant.liveChunks = live
        for _ in 0..<Int(try reader.uint32()) {
            let id = try reader.string()
            let hash = try reader.string()
            let count = Int(try reader.uint32())
            var indexes: [Int] = []
            for _ in 0..<count { indexes.append(try reader.int()) }
            tenant.documents[id] = StoredDocument(contentHash: hash, chunkIndexes: indexes)
        }
        return tenant
    }
}
