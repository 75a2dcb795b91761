import _RecurPackedProduct

/// `C[m, n] += A[m, k] B[k, n]` (or `C = A B`) in Float with B packed once and reused by many products: oneDNN's
/// matmul primitive with its weights in the blocked layout it prefers (Linux). `dnnl_sgemm` packs B
/// again on every call, which for a time loop's per-step products (`16 x 128 x 512`, say) costs as
/// much as a third of each call (docs/performance.md, section 11).
///
/// One object serves one thread at a time (it owns its scratchpad); threads that multiply at the same
/// time each use their own. `init` returns nil where the library cannot make the product (no oneDNN,
/// as on macOS, or only a reference implementation for the shape): callers then use `gemm`.
public final class PackedProduct {
    public let m, n, k, lda, ldc, strideK, strideN: Int
    /// Whether the operands are rounded to bfloat16 (B once, when packed; A before each product) and
    /// multiplied with float accumulation, as `GEMMEngine.bfloat16` does.
    public let bfloat16: Bool
    /// Whether the product is added to C (`C += A B`) or written over it (`C = A B`).
    public let accumulate: Bool
    /// Whether the library keeps B in a blocked layout of its own, packed once by `pack`. Where it keeps
    /// B as a plain matrix (oneDNN 2.6's f32 matmul on AVX2 machines, `gemm:jit`), every product packs B
    /// again as `dnnl_sgemm` does, and measured slower than it: 63 against 150 GFLOP/s at 64 x 4096 x
    /// 1024 on two Zen 2 cores (docs/performance.md, section 22). Callers then keep `gemm` for Float.
    public let keepsWeightsPacked: Bool
    /// Whether each product spares work that `gemm` does at every call: B kept packed, or (bf16) B
    /// rounded once. The recurrent layers' time loops use the product only then.
    public var sparesWorkPerCall: Bool { keepsWeightsPacked || bfloat16 }
    /// The library's name for the product's implementation (oneDNN's: `gemm:jit`, `brg:avx512_core`, ...).
    public let implementation: String
    private let handle: OpaquePointer

    /// A's rows are `lda` apart and C's `ldc`; B's element (i, j) is at `b[i * strideK + j * strideN]`.
    public init?(m: Int, n: Int, k: Int, lda: Int, ldc: Int, strideK: Int, strideN: Int, bfloat16: Bool = false,
                 accumulate: Bool = true) {
        guard m > 0, n > 0, k > 0, lda >= k, ldc >= n,
              let handle = recur_packed_product_create(m, n, k, lda, ldc, strideK, strideN, bfloat16 ? 1 : 0, accumulate ? 1 : 0)
        else { return nil }
        (self.m, self.n, self.k, self.lda, self.ldc, self.strideK, self.strideN) = (m, n, k, lda, ldc, strideK, strideN)
        self.bfloat16 = bfloat16
        self.accumulate = accumulate
        self.keepsWeightsPacked = recur_packed_product_blocked(handle) == 1
        self.implementation = String(cString: recur_packed_product_implementation(handle))
        self.handle = handle
    }

    deinit { recur_packed_product_destroy(handle) }

    /// Whether this product has the given shape and strides (so it can be reused for them).
    public func matches(m: Int, n: Int, k: Int, lda: Int, ldc: Int, strideK: Int, strideN: Int, bfloat16: Bool = false,
                        accumulate: Bool = true) -> Bool {
        [self.m, self.n, self.k, self.lda, self.ldc, self.strideK, self.strideN] == [m, n, k, lda, ldc, strideK, strideN]
            && self.bfloat16 == bfloat16 && self.accumulate == accumulate
    }

    /// Reads and packs B; products use it until the next `pack`.
    public func pack(_ b: UnsafePointer<Float>) {
        let status = recur_packed_product_pack(handle, b)
        precondition(status == 1, "PackedProduct: packing failed")
    }

    /// `C += A B` (`C = A B` without `accumulate`) with the packed B.
    public func run(a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let status = recur_packed_product_run(handle, a, c)
        precondition(status == 1, "PackedProduct: the product failed")
    }
}
