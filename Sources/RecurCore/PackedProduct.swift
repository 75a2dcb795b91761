import _RecurPackedProduct
import _RecurVectorMath

/// `C[m, n] += A[m, k] B[k, n]` (or `C = A B`) in Float with B packed once and reused by many products
/// (Linux): oneDNN's matmul primitive where it keeps its weights in a blocked layout of its own (its
/// brgemm matmul on AVX-512 machines), else Recur's panel kernel (`recur_panel_product_run`: B in
/// panels of 16 columns, AVX2 + FMA). `dnnl_sgemm` packs B again on every call, which for a time
/// loop's per-step products (`16 x 128 x 512`, say) costs as much as a third of each call
/// (docs/performance.md, section 11); so does oneDNN 2.6's f32 matmul on AVX2 machines (`gemm:jit`),
/// which keeps B as a plain matrix (section 22). The panel kernel ran those products at 1.08-1.45x
/// `dnnl_sgemm`'s speed on two Zen 2 cores (section 23).
///
/// One object serves one thread at a time (it owns its scratchpad); threads that multiply at the same
/// time each use their own. Called outside a parallel region, the panel kernel
/// shares B's panels among the compute threads; inside one (a thread's share of a time loop), it runs
/// on the calling thread. `init` returns nil where no product can be made (no oneDNN, as on macOS, or
/// only a reference implementation for the shape): callers then use `gemm`.
public final class PackedProduct {
    public let m, n, k, lda, ldc, strideK, strideN: Int
    /// Whether the operands are rounded to bfloat16 (B once, when packed; A before each product) and
    /// multiplied with float accumulation, as `GEMMEngine.bfloat16` does.
    public let bfloat16: Bool
    /// Whether the product is added to C (`C += A B`) or written over it (`C = A B`).
    public let accumulate: Bool
    /// Whether B is kept in a packed layout, packed once by `pack`. Where the library keeps B as a plain
    /// matrix (oneDNN 2.6's f32 matmul on AVX2 machines, `gemm:jit`) and the panel kernel cannot stand
    /// in (bf16, or the baseline instruction set chosen with `RECUR_ISA`), every product packs B again as
    /// `dnnl_sgemm` does, and measured slower than it: 63 against 150 GFLOP/s at 64 x 4096 x 1024 on
    /// two Zen 2 cores (docs/performance.md, section 22). Callers then keep `gemm` for Float.
    public let keepsWeightsPacked: Bool
    /// Whether each product spares work that `gemm` does at every call: B kept packed, or (bf16) B
    /// rounded once. The recurrent layers' time loops use the product only then.
    public var sparesWorkPerCall: Bool { keepsWeightsPacked || bfloat16 }
    /// The name of the product's implementation: oneDNN's (`gemm:jit`, `brg:avx512_core`, ...), or
    /// `recur_panels:avx2` for the panel kernel.
    public let implementation: String
    private let kernel: Kernel

    private enum Kernel {
        case library(OpaquePointer)
        /// B's panels (`recur_panel_product_b_count` floats).
        case panels(UnsafeMutablePointer<Float>)
    }

    /// The panel kernel's name.
    public static let panelImplementation = "recur_panels:avx2"

    /// Whether the panel kernel can serve Float products here: x86-64 with AVX2 + FMA active (not the
    /// baseline set chosen with `RECUR_ISA`).
    public static var panelsAvailable: Bool {
        #if arch(x86_64)
        return InstructionSet.active != .baseline
        #else
        return false
        #endif
    }

    /// A's rows are `lda` apart and C's `ldc`; B's element (i, j) is at `b[i * strideK + j * strideN]`.
    /// - panels: the panel kernel whatever the library keeps (Float, where `panelsAvailable`), for tests
    ///   of it on machines whose library keeps B packed.
    public init?(m: Int, n: Int, k: Int, lda: Int, ldc: Int, strideK: Int, strideN: Int, bfloat16: Bool = false,
                 accumulate: Bool = true, panels: Bool = false) {
        guard m > 0, n > 0, k > 0, lda >= k, ldc >= n,
              let handle = recur_packed_product_create(m, n, k, lda, ldc, strideK, strideN, bfloat16 ? 1 : 0, accumulate ? 1 : 0)
        else { return nil }
        (self.m, self.n, self.k, self.lda, self.ldc, self.strideK, self.strideN) = (m, n, k, lda, ldc, strideK, strideN)
        self.bfloat16 = bfloat16
        self.accumulate = accumulate
        let blocked = recur_packed_product_blocked(handle) == 1
        if !bfloat16 && (panels || !blocked) && Self.panelsAvailable {
            recur_packed_product_destroy(handle)
            kernel = .panels(.allocate(capacity: recur_panel_product_b_count(n, k)))
            keepsWeightsPacked = true
            implementation = Self.panelImplementation
        } else {
            kernel = .library(handle)
            keepsWeightsPacked = blocked
            implementation = String(cString: recur_packed_product_implementation(handle))
        }
    }

    deinit {
        switch kernel {
        case let .library(handle):
            recur_packed_product_destroy(handle)
        case let .panels(packed):
            packed.deallocate()
        }
    }

    /// Whether this product has the given shape and strides (so it can be reused for them).
    public func matches(m: Int, n: Int, k: Int, lda: Int, ldc: Int, strideK: Int, strideN: Int, bfloat16: Bool = false,
                        accumulate: Bool = true) -> Bool {
        [self.m, self.n, self.k, self.lda, self.ldc, self.strideK, self.strideN] == [m, n, k, lda, ldc, strideK, strideN]
            && self.bfloat16 == bfloat16 && self.accumulate == accumulate
    }

    /// Reads and packs B; products use it until the next `pack`.
    public func pack(_ b: UnsafePointer<Float>) {
        switch kernel {
        case let .library(handle):
            let status = recur_packed_product_pack(handle, b)
            precondition(status == 1, "PackedProduct: packing failed")
        case let .panels(packed):
            let (n, k, strideK, strideN) = (n, k, strideK, strideN)
            forEachPanelShare { panels in
                recur_panel_product_pack_b(b, n, k, strideK, strideN, panels.lowerBound, panels.upperBound, packed)
            }
        }
    }

    /// `C += A B` (`C = A B` without `accumulate`) with the packed B.
    public func run(a: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        switch kernel {
        case let .library(handle):
            let status = recur_packed_product_run(handle, a, c)
            precondition(status == 1, "PackedProduct: the product failed")
        case let .panels(packed):
            let (m, n, k, lda, ldc, accumulate) = (m, n, k, lda, ldc, accumulate ? Int32(1) : 0)
            forEachPanelShare { panels in
                recur_panel_product_run(a, lda, packed, m, n, k, c, ldc, accumulate, panels.lowerBound, panels.upperBound)
            }
        }
    }

    /// Multiply-adds below which a thread's share of panels is not worth a parallel region: about 5 µs of
    /// a core at 16 multiply-adds a cycle, near what a region's start and end cost
    /// (`VectorProduct.minimumShareElements`).
    static let minimumShareMultiplyAdds = 262_144

    /// `body` on shares of B's panels: on the calling thread alone inside a parallel region (or for a
    /// small product), else one share per compute thread.
    private func forEachPanelShare(_ body: (Range<Int>) -> Void) {
        let panels = recur_panel_product_panels(n)
        guard !ComputeThreads.isInParallelRegion else { return body(0..<panels) }
        let minimumPanels = max(1, Self.minimumShareMultiplyAdds / (m * 16 * k))
        ComputeThreads.forEachShare(count: panels, minimumShare: minimumPanels) { _, share in body(share) }
    }
}
