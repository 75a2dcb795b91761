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
    /// `columns` for wide layers, where packing `W_hh` weighs on a product over a share of the rows
    /// (forward from 256 hidden units, backward from 768; measured in docs/performance.md), `rows`
    /// otherwise.
    case automatic

    /// The plan for a layer of `hidden` units in the forward or the backward loop. (`rows` runs on the
    /// calling thread alone where the batch is too small to share: `StepShare.run`.)
    func resolved(hidden: Int, backward: Bool) -> TimeLoopSplit {
        switch self {
        case .none, .rows:
            return self
        case .automatic where hidden < (backward ? 768 : 256):
            return .rows
        case .columns, .automatic:
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

    /// Waits for the team when the plan needs it.
    @inline(__always) func meet() {
        if meets { ComputeThreads.barrier() }
    }

    /// Runs `body` once per thread of `plan` over a `batch`-row loop whose product has `columns` columns.
    static func run(_ plan: TimeLoopSplit, batch: Int, columns: Int, _ body: (StepShare) -> Void) {
        let everything = StepShare(productRows: 0..<batch, productColumns: 0..<columns, gateRows: 0..<batch, meets: false)
        switch plan {
        case .none, .automatic:  // `automatic` is resolved before a loop runs
            body(everything)
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
