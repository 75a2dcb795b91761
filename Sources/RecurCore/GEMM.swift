#if canImport(Accelerate)
import Accelerate
#elseif canImport(_RecurShims)
import _RecurShims
#endif

/// Which matrix-multiply implementation a layer uses.
///
/// `.fast` is oneDNN's `dnnl_sgemm` on Linux and Accelerate's BLAS on macOS (falling back to the
/// reference kernel for a type the platform library lacks, such as Double on Linux). `.reference` is
/// the plain-Swift kernel in `ReferenceGEMM.swift`, the ground truth the tests hold `.fast` against.
/// `.bfloat16` is `.fast` with Float products in bfloat16: both operands rounded to bf16 (round to
/// nearest even), float accumulation and result, through oneDNN's matmul primitive; the weights,
/// their gradients, the optimiser state and every element-wise kernel stay Float. Where oneDNN has no
/// bf16 product (no oneDNN, or a CPU without AVX-512) it multiplies in Float, as `.fast` does;
/// `BFloat16Products` tells whether the CPU has bf16 instructions or oneDNN emulates them.
public enum GEMMEngine: String, Sendable, CaseIterable {
    case fast
    case reference
    case bfloat16

    /// The engines whose products are float32 (`.fast` and `.reference`), which tests hold to float
    /// tolerances of each other and of PyTorch.
    public static var float32: [GEMMEngine] { [.fast, .reference] }
}

/// `C[m, n] = alpha * op(A) * op(B) + beta * C`, all row-major.
///
/// `op(A)` is `[m, k]`: A is stored `[m, k]` with leading dimension `lda`, or `[k, m]` when `transA`.
/// `op(B)` is `[k, n]`: B is stored `[k, n]` with `ldb`, or `[n, k]` when `transB`.
/// With `beta == 0`, C is overwritten and its old contents (even NaN) are ignored, as BLAS does.
@inlinable
public func gemm<Scalar: RecurScalar>(
    engine: GEMMEngine = .fast,
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Scalar = 1, a: UnsafePointer<Scalar>, lda: Int,
    b: UnsafePointer<Scalar>, ldb: Int,
    beta: Scalar = 0, c: UnsafeMutablePointer<Scalar>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: expected non-negative sizes, got m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "gemm: lda \(lda) too small")
    precondition(ldb >= max(1, transB ? k : n), "gemm: ldb \(ldb) too small")
    precondition(ldc >= max(1, n), "gemm: ldc \(ldc) too small")
    if m == 0 || n == 0 { return }
    if engine != .reference, Scalar.fastGEMM(
        bfloat16: engine == .bfloat16, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
        return
    }
    referenceGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// The platform's single-precision GEMM; `false` when there is none.
@usableFromInline
func platformSGEMM(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) -> Bool {
    #if canImport(Accelerate)
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    return true
    #elseif canImport(_RecurShims)
    if k == 0 {  // oneDNN rejects K = 0; the product is empty, so C = beta * C.
        scaleMatrix(c, rows: m, columns: n, ld: ldc, by: beta)
        return true
    }
    let status = dnnl_sgemm(
        transA ? CChar(UInt8(ascii: "T")) : CChar(UInt8(ascii: "N")),
        transB ? CChar(UInt8(ascii: "T")) : CChar(UInt8(ascii: "N")),
        Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status)")
    return true
    #else
    return false
    #endif
}

/// The platform's double-precision GEMM; `false` when there is none (oneDNN has no dgemm).
@usableFromInline
func platformDGEMM(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
) -> Bool {
    #if canImport(Accelerate)
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    return true
    #else
    return false
    #endif
}

/// `C = beta * C` over an `[rows, columns]` block with leading dimension `ld`; `beta == 0` writes zeros.
@inlinable
func scaleMatrix<Scalar: RecurScalar>(
    _ c: UnsafeMutablePointer<Scalar>, rows: Int, columns: Int, ld: Int, by beta: Scalar
) {
    for i in 0..<rows {
        let row = c + i * ld
        for j in 0..<columns { row[j] = beta == 0 ? 0 : beta * row[j] }
    }
}
