import _RecurVectorMath

/// `y += W x` for one input row: a weight `W[outputs, inputs]` (a layer's row-major `[outputs,
/// inputs]`) copied once, in Float or in bfloat16, for products that read it many times while it
/// stays as it is (a sampler's frozen copy).
///
/// At batch 1 a step's products read every weight once and do one multiply-add with it, so their speed
/// is that of the weight stream. oneDNN's matmul primitive spent as much time in its own calls and in
/// its team's fork and join as in its kernels there (docs/performance.md, section 19). Here the copy
/// lies in panels of four rows, each one contiguous stream (recur_vector_product_pack), read against
/// an input that stays in cache, and `run(_:)` shares the rows of several products at once among the
/// compute threads, one parallel region for all.
///
/// With `bfloat16` the weights are rounded once and the input before each product (round to nearest,
/// ties to even, as `GEMMEngine.bfloat16` rounds), and multiplied with float sums: with the CPU's bf16
/// dot product (`vdpbf16ps`) where it has AVX512_BF16 and AVX-512 is active, by widening to Float
/// elsewhere. A bf16 copy is half the bytes of a Float one.
public final class VectorProduct {
    public let outputs: Int, inputs: Int
    public let bfloat16: Bool
    /// `inputs` rounded up to whole 64-byte chunks (16 floats or 32 bf16 values), zero beyond `inputs`.
    private let padded: Int
    /// The copy, in panels of four rows (recur_vector_product_pack).
    private let weights: UnsafeMutableRawPointer
    /// The input of the next product, as the kernel reads it (zero beyond `inputs`).
    private let input: UnsafeMutableRawPointer

    /// Copies `weight` `[outputs, inputs]` (row-major), rounded to bf16 with `bfloat16`.
    public init(weight: UnsafePointer<Float>, outputs: Int, inputs: Int, bfloat16: Bool) {
        precondition(outputs > 0 && inputs > 0, "VectorProduct: expected positive sizes, got \(outputs) x \(inputs)")
        (self.outputs, self.inputs, self.bfloat16) = (outputs, inputs, bfloat16)
        let size = bfloat16 ? 2 : 4
        padded = recur_vector_product_padded(inputs, bfloat16 ? 1 : 0)
        weights = .allocate(byteCount: recur_vector_product_bytes(outputs, inputs, bfloat16 ? 1 : 0), alignment: 64)
        recur_vector_product_pack(weight, outputs, inputs, bfloat16 ? 1 : 0, weights)
        input = .allocate(byteCount: padded * size, alignment: 64)
        input.initializeMemory(as: UInt8.self, repeating: 0, count: padded * size)
    }

    /// The copy `engine`'s products of one row use: bf16 on `.bfloat16` where there are bf16 products
    /// (`BFloat16Products.isAvailable`; elsewhere that engine multiplies in Float, and so does this),
    /// Float on `.fast`; nil on `.reference`, whose products are `gemm`'s.
    public convenience init?(weight: UnsafePointer<Float>, outputs: Int, inputs: Int, engine: GEMMEngine) {
        guard engine != .reference else { return nil }
        self.init(weight: weight, outputs: outputs, inputs: inputs,
                  bfloat16: engine == .bfloat16 && BFloat16Products.isAvailable)
    }

    deinit {
        weights.deallocate()
        input.deallocate()
    }

    /// Takes `x` `[inputs]` as the input of the next products (rounded to bf16 with `bfloat16`).
    public func load(_ x: UnsafePointer<Float>) {
        if bfloat16 {
            recur_bf16_round(x, inputs, input.assumingMemoryBound(to: UInt16.self))
        } else {
            input.assumingMemoryBound(to: Float.self).update(from: x, count: inputs)
        }
    }

    /// `y[r] += W[r, :] x` for `r` in `rows`, with the `x` of the last `load`; `y` points at row 0.
    /// Threads may run disjoint rows of one product at the same time.
    public func run(rows: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= outputs, "VectorProduct: rows \(rows) outside 0..<\(outputs)")
        recur_vector_product_run(weights, padded, bfloat16 ? 1 : 0, input, y, rows.lowerBound, rows.upperBound)
    }

    /// One product of a `run(_:)`: its rows added into `output` `[outputs]`.
    public struct Job {
        public let product: VectorProduct
        public let output: UnsafeMutablePointer<Float>
        public init(_ product: VectorProduct, into output: UnsafeMutablePointer<Float>) {
            (self.product, self.output) = (product, output)
        }
    }

    /// Weight elements below which a thread's share is not worth a parallel region (256 KB of Float
    /// weights: the region's start and end cost about as much as streaming that much).
    static let minimumShareElements = 65_536

    /// `output[r] += W[r, :] x` for every row, with the `x` of the last `load`, the rows shared among the
    /// compute threads (`run(_:)` with this one job).
    public func run(into output: UnsafeMutablePointer<Float>) {
        Self.share(CollectionOfOne(Job(self, into: output)))
    }

    /// Runs every job's product (each `load`ed before), their rows taken together and shared among the
    /// compute threads in contiguous ranges: one parallel region for all of them.
    public static func run(_ jobs: [Job]) {
        share(jobs)
    }

    /// `run(_:)` for any collection of jobs; specialised here for the two callers above (a generic entry
    /// point called from another module would go through the collection's witness table per job).
    private static func share<Jobs: Collection<Job>>(_ jobs: Jobs) {
        var rows = 0, elements = 0
        for job in jobs {
            rows += job.product.outputs
            elements += job.product.outputs * job.product.inputs
        }
        guard rows > 0 else { return }
        let minimumRows = max(1, rows * minimumShareElements / max(elements, 1))
        // In whole panels of four rows (where each product's rows start at a panel), so no thread reads
        // a panel that another one reads too.
        ComputeThreads.forEachBlockShare(count: rows, block: 4, minimumBlocks: max(1, minimumRows / 4)) { share in
            // The share's rows, product by product.
            var first = 0
            for job in jobs {
                let end = first + job.product.outputs
                let lower = max(share.lowerBound, first), upper = min(share.upperBound, end)
                if lower < upper { job.product.run(rows: (lower - first)..<(upper - first), into: job.output) }
                first = end
                if first >= share.upperBound { break }
            }
        }
    }
}
