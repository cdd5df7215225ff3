/// The inner product that every store's scoring is defined by: vectors are L2-normalised, so it
/// is their cosine similarity.
enum VectorMath {
    /// Eight independent accumulators let the compiler keep a SIMD register per lane group
    /// instead of one serial chain of additions.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var sum = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            sum += x * y
            i += 8
        }
        var total = sum.sum()
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in dot(x.baseAddress!, y.baseAddress!, count: min(x.count, y.count)) }
        }
    }
}

/// The best `k` candidates seen so far, best first; ties go to the earlier candidate so results
/// are deterministic.
struct TopK {
    let k: Int
    private(set) var entries: [(id: Int, score: Float)] = []

    init(k: Int) {
        self.k = max(0, k)
        entries.reserveCapacity(self.k + 1)
    }

    mutating func offer(_ id: Int, score: Float) {
        guard k > 0 else { return }
        if entries.count == k, let last = entries.last, score <= last.score { return }
        var position = entries.count
        while position > 0, entries[position - 1].score < score { position -= 1 }
        entries.insert((id, score), at: position)
        if entries.count > k { entries.removeLast() }
    }

    func sorted() -> [(id: Int, score: Float)] { entries }
}
