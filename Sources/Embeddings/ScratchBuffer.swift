/// A growable float buffer reused across batches, so steady-state encoding
/// allocates nothing per batch.
struct ScratchBuffer: ~Copyable {
    private var pointer: UnsafeMutablePointer<Float>?
    private var capacity = 0

    init() {}

    /// A buffer of at least `count` floats; contents are unspecified.
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let pointer, capacity >= count { return pointer }
        pointer?.deallocate()
        // Grow by half again so slowly rising batch sizes do not reallocate each time.
        capacity = max(count, capacity + capacity / 2, 1)
        let fresh = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        pointer = fresh
        return fresh
    }

    deinit { pointer?.deallocate() }
}

/// The buffers each encoder thread uses on its own.
final class ThreadScratch {
    /// Attention scores of one head of one sequence, [n × n].
    var scores = ScratchBuffer()
    /// 1 / row sum of the exponentiated scores, [n].
    var inverseSums = ScratchBuffer()
    /// Feed-forward activations of one row block, [rows × 1536].
    var intermediate = ScratchBuffer()
}
