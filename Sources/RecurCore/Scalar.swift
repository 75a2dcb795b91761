#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif
import _RecurPackedProduct

/// The floating-point types Recur computes in.
///
/// Training runs in `Float`; `Double` exists so that gradient checks and reference paths can measure
/// errors far below Float32's rounding. Every kernel in RecurCore is generic over this protocol and
/// `@inlinable`, so it is specialised for the concrete type at the call site.
public protocol RecurScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// e^x and tanh(x) over eight lanes (VectorMath.swift).
    static func exp(_ x: SIMD8<Self>) -> SIMD8<Self>
    static func tanh(_ x: SIMD8<Self>) -> SIMD8<Self>

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major, on the platform's fast engine
    /// (oneDNN on Linux for Float, Accelerate on macOS); `false` when there is none for this type.
    static func fastGEMM(
        bfloat16: Bool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) -> Bool
}

extension Float: RecurScalar {
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }

    public static func fastGEMM(
        bfloat16: Bool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        if bfloat16, recur_bf16_product(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == 1 {
            return true
        }
        return platformSGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: RecurScalar {
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { libm_exp(x) }
    @inlinable @inline(__always) public static func log(_ x: Double) -> Double { libm_log(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Double) -> Double { libm_tanh(x) }

    public static func fastGEMM(
        bfloat16: Bool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) -> Bool {
        platformDGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                      b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

// The C library's double-precision functions, under names that the static members do not shadow.
@inlinable @inline(__always) func libm_exp(_ x: Double) -> Double { exp(x) }
@inlinable @inline(__always) func libm_log(_ x: Double) -> Double { log(x) }
@inlinable @inline(__always) func libm_tanh(_ x: Double) -> Double { tanh(x) }
