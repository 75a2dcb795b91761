import RecurCore

/// How a recurrent layer's time loop shares its work among the compute threads.
///
/// Every step of a time loop is a recurrent product (`h W_hh^T` forward, `dGates W_hh` backward) and
/// an element-wise gate kernel. The plans differ in which thread does which part of the two.
public enum TimeLoopSplit: String, Sendable, CaseIterable {
    /// The calling thread runs the loop; only the GEMMs inside use the team.
    case none
    /// Each thread takes a share of the batch rows and runs the whole loop for them: its own products
    /// and gate kernels, never waiting for the others (rows are independent through time). Each
    /// thread's product reads and packs the whole of `W_hh`.
    case rows
    /// At every step each thread computes a share of the product's columns for all rows (so it packs
    /// only its share of `W_hh`), then, after the team has met, a share of the rows through the gate
    /// kernel; the team meets again before the next step. Needs threads that can wait for each other
    /// (OpenMP); elsewhere it runs as `rows`.
    case columns
    /// The calling thread runs the loop; each step's recurrent product is one product on the whole team
    /// (oneDNN shares it among its threads), then the team shares the rows of the gate kernel.
    case team
    /// `team` for wide layers (from 256 hidden units), `rows` otherwise: on the machine of
    /// docs/performance.md section 15, `team` ran the forward and backward loops of 512- and
    /// 1024-unit layers 10-40% faster than `columns`, and as fast as `rows` or faster. With bf16
    /// products `team` starts at 1024 units: their per-step products are about 1.7x shorter, and
    /// `rows` (no meeting at each step) trained 512-unit layers 3-23% faster (section 16).
    case automatic

    /// The plan for a layer of `hidden` units whose products are bf16 or not. (`rows` runs on the
    /// calling thread alone where the batch is too small to share: `StepShare.run`.)
    func resolved(hidden: Int, bfloat16: Bool = false) -> TimeLoopSplit {
        switch self {
        case .none, .rows, .team:
            return self
        case .automatic:
            return hidden < (bfloat16 ? 1024 : 256) ? .rows : .team
        case .columns:
            return ComputeThreads.canSynchronize ? .columns : .rows
        }
    }
}

/// Batch rows each thread needs before a time loop shares the rows among threads.
let minimumRowsPerThread = 4

/// What one thread does at every step of a time loop.
struct StepShare {
    /// Which of the loop's concurrent shares this is (0 ..< threads): no two running at once share it.
    var index = 0
    /// Rows and columns of the recurrent product (columns of `G*H` forward, of `H` backward).
    var productRows: Range<Int>
    var productColumns: Range<Int>
    /// Rows of the gate kernel.
    var gateRows: Range<Int>
    /// Whether the team meets after each part (the parts of one thread depend on the others' parts).
    var meets: Bool
    /// Whether the gate kernel's rows are shared among the team at each step (`team`).
    var sharesGates = false

    /// Waits for the team when the plan needs it.
    @inline(__always) func meet() {
        if meets { ComputeThreads.barrier() }
    }

    /// Runs the step's gate kernel `body(rows)` over `gateRows`: on this thread, or shared among the team.
    @inline(__always) func forEachGateShare(_ body: (Range<Int>) -> Void) {
        guard sharesGates else { return body(gateRows) }
        let first = gateRows.lowerBound
        ComputeThreads.forEachShare(count: gateRows.count, minimumShare: minimumRowsPerThread) { _, rows in
            body((first + rows.lowerBound)..<(first + rows.upperBound))
        }
    }

    /// Runs `body` once per thread of `plan` over a `batch`-row loop whose product has `columns` columns.
    static func run(_ plan: TimeLoopSplit, batch: Int, columns: Int, _ body: (StepShare) -> Void) {
        let everything = StepShare(productRows: 0..<batch, productColumns: 0..<columns, gateRows: 0..<batch, meets: false)
        switch plan {
        case .none, .automatic:  // `automatic` is resolved before a loop runs
            body(everything)
        case .team:
            body(StepShare(productRows: 0..<batch, productColumns: 0..<columns, gateRows: 0..<batch, meets: false, sharesGates: true))
        case .rows:
            ComputeThreads.forEachShare(count: batch, minimumShare: minimumRowsPerThread) { index, rows in
                body(StepShare(index: index, productRows: rows, productColumns: 0..<columns, gateRows: rows, meets: false))
            }
        case .columns:
            ComputeThreads.parallel { thread, threads in
                guard threads > 1 else { return body(everything) }
                // Columns in blocks of 8 (one vector register), so that every share starts aligned.
                let columnShare = ComputeThreads.share(of: columns, thread: thread, threads: threads, block: 8)
                body(StepShare(index: thread, productRows: 0..<batch, productColumns: columnShare,
                               gateRows: ComputeThreads.share(of: batch, thread: thread, threads: threads), meets: true))
            }
        }
    }
}
