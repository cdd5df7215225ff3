import CHnswlib

/// One hnswlib graph (inner-product space over L2-normalised vectors), owner of its C handle.
///
/// Not thread-safe by itself: hnswlib 0.6.2 does not promise that a search may run while a point
/// is added, resized or deleted. The owner (`IndexState`) guards every graph with its read-write
/// lock: searches and reads under the read lock, everything else under the write lock.
final class HnswGraph {
    /// Build parameters: links per node and candidates while inserting (hnswlib's defaults).
    struct Parameters: Sendable, Equatable {
        var m = 16
        var efConstruction = 200
        var seed = 100
    }

    let dimension: Int
    private let handle: OpaquePointer

    /// A new empty graph with room for `capacity` points (it grows on demand).
    init(dimension: Int, capacity: Int, parameters: Parameters) throws {
        var out: OpaquePointer?
        try Self.check(hnsw_create(dimension, max(capacity, 16), parameters.m, parameters.efConstruction, parameters.seed, &out),
                       "create a graph")
        guard let out else { throw VectorStoreError(.unavailable, "hnswlib returned no graph") }
        self.dimension = dimension
        self.handle = out
    }

    /// A graph saved by `save(to:)`; a damaged file is a `.corrupt` error, never a crash.
    init(loading path: String, dimension: Int) throws {
        var out: OpaquePointer?
        let status = hnsw_load(path, dimension, 0, &out)
        guard status == HNSW_OK, let out else {
            throw VectorStoreError(.corrupt, "cannot load the graph \(path): \(String(cString: hnsw_last_error()))")
        }
        self.dimension = dimension
        self.handle = out
    }

    deinit { hnsw_free(handle) }

    /// Points ever added (deleted ones included: hnswlib 0.6.2 never reuses a slot by itself).
    var count: Int { hnsw_count(handle) }
    var capacity: Int { hnsw_capacity(handle) }

    func save(to path: String) throws {
        try Self.check(hnsw_save(handle, path), "save the graph to \(path)", code: .io)
    }

    /// Inserts a point or replaces the vector of an existing label (and undeletes it), growing the
    /// graph first when it is full.
    func add(_ vector: UnsafePointer<Float>, label: UInt64) throws {
        if count >= capacity {
            try Self.check(hnsw_resize(handle, capacity * 2), "grow the graph")
        }
        try Self.check(hnsw_add(handle, vector, label), "add a point")
    }

    func markDeleted(_ label: UInt64) throws {
        try Self.check(hnsw_mark_deleted(handle, label), "delete a point")
    }

    func setEf(_ ef: Int) { hnsw_set_ef(handle, ef) }

    /// The `k` nearest live labels and their cosine similarity, best first.
    func search(_ query: UnsafePointer<Float>, k: Int, labels: UnsafeMutablePointer<UInt64>,
                scores: UnsafeMutablePointer<Float>) throws -> Int {
        var found = 0
        try Self.check(hnsw_search(handle, query, k, labels, scores, &found), "search")
        for i in 0..<found { scores[i] = 1 - scores[i] }
        return found
    }

    /// Cosine similarity of `query` with each label (-1 for a label that is not live).
    func scores(_ query: UnsafePointer<Float>, labels: [UInt64]) throws -> [Float] {
        var distances = [Float](repeating: 2, count: labels.count)
        try Self.check(hnsw_distances(handle, query, labels, labels.count, &distances), "score points")
        return distances.map { 1 - $0 }
    }

    /// The stored vector of a live label.
    func vector(_ label: UInt64) throws -> [Float] {
        var out = [Float](repeating: 0, count: dimension)
        try Self.check(hnsw_get_vector(handle, label, &out), "read a point")
        return out
    }

    private static func check(_ status: hnsw_status, _ what: String, code: VectorStoreError.Code = .unavailable) throws {
        guard status != HNSW_OK else { return }
        let reason = String(cString: hnsw_last_error())
        let resolved: VectorStoreError.Code = switch status {
        case HNSW_IO: .io
        case HNSW_INVALID: .invalidArgument
        default: code
        }
        throw VectorStoreError(resolved, "hnswlib could not \(what): \(reason)")
    }
}
