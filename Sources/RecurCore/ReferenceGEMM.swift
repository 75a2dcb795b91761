/// The plain-Swift GEMM: the ground truth that the fast engines are tested against.
///
/// Same contract as `gemm(...)`. Each dot product accumulates in Double, so for Float inputs the
/// result is the exactly rounded sum up to Double's error, whatever order a fast kernel chooses.
@inlinable
public func referenceGEMM<Scalar: RecurScalar>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Scalar, a: UnsafePointer<Scalar>, lda: Int,
    b: UnsafePointer<Scalar>, ldb: Int,
    beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
) {
    // op(A)[i, p] and op(B)[p, j] as strides over the stored matrices.
    let aRow = transA ? 1 : lda, aCol = transA ? lda : 1
    let bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            var pa = a + i * aRow
            var pb = b + j * bCol
            for _ in 0..<k {
                sum += Double(pa.pointee) * Double(pb.pointee)
                pa += aCol
                pb += bRow
            }
            let product = Scalar(Double(alpha) * sum)
            let ci = c + i * ldc + j
            ci.pointee = beta == 0 ? product : product + beta * ci.pointee
        }
    }
}
