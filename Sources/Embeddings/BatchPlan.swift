/// Rows and attention work of one batch, split between threads.
struct BatchPlan {
    /// First row of each sequence in the packed matrix.
    let starts: [Int]
    /// Length of each sequence.
    let lengths: [Int]
    /// Rows in the packed matrix (tokens of all sequences).
    let total: Int
    let threads: Int

    init(lengths: [Int], threads: Int) {
        var starts: [Int] = []
        var row = 0
        for n in lengths {
            starts.append(row)
            row += n
        }
        self.starts = starts
        self.lengths = lengths
        self.total = row
        self.threads = threads
    }

    /// Contiguous block of rows for `thread` (row-wise phases).
    func rows(for thread: Int) -> Range<Int> {
        (total * thread / threads)..<(total * (thread + 1) / threads)
    }

    /// (sequence, head) pairs for `thread`, dealt round-robin: every sequence
    /// contributes 12 equal-cost heads, so the threads get equal work.
    func attentionTasks(for thread: Int, heads: Int) -> [(sequence: Int, head: Int)] {
        var tasks: [(Int, Int)] = []
        var index = 0
        for sequence in lengths.indices {
            for head in 0..<heads {
                if index % threads == thread && lengths[sequence] > 0 { tasks.append((sequence, head)) }
                index += 1
            }
        }
        return tasks
    }
}
