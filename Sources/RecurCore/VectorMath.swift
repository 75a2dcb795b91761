import _RecurVectorMath

/// Eight-lane exp and tanh for the gate kernels, and the loads and stores that feed them.
///
/// Float uses the polynomial kernels of `_RecurVectorMath` (C vector extensions, inlined here), so that
/// a gate kernel is straight-line SIMD code rather than one libm call per element (libm's expm1f and tanhf were 9-18% of a training step's profile;
/// docs/performance.md). Double keeps libm lane by lane: it exists for gradient checks, where the last
/// bit matters more than the speed.
///
/// Float accuracy (VectorMathTests, about 2^20 points each): exp within 2 ulp over [-87, 88]; tanh
/// within 3e-7 absolute and 2e-6 relative. NaN propagates; exp is 0 below -87.33 (the subnormal range
/// is flushed) and +inf above 88.72, so sigmoid reaches exact 0 and 1 and tanh exact ±1.
extension Float {
    /// e^x over eight lanes (`recur_exp8`).
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> { recur_exp8(x) }

    /// tanh(x) over eight lanes (`recur_tanh8`).
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> { recur_tanh8(x) }
}

extension Double {
    /// e^x lane by lane with libm.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var y = x
        for l in 0..<8 { y[l] = libm_exp(x[l]) }
        return y
    }

    /// tanh(x) lane by lane with libm.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var y = x
        for l in 0..<8 { y[l] = libm_tanh(x[l]) }
        return y
    }
}

/// The logistic function over eight lanes.
@inlinable @inline(__always)
public func sigmoid<Scalar: RecurScalar>(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> {
    1 / (1 + Scalar.exp(-x))
}

/// max(x, 0) over eight lanes, NaN passed through.
@inlinable @inline(__always)
public func relu<Scalar: RecurScalar>(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> {
    x.replacing(with: 0, where: x .< 0)
}

/// Eight lanes from `p`, of which the first `count` (1...8) are read and the rest are zero.
@inlinable @inline(__always)
public func load8<Scalar: SIMDScalar & BinaryFloatingPoint>(_ p: UnsafePointer<Scalar>, count: Int) -> SIMD8<Scalar> {
    if count >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Scalar>.self) }
    var v = SIMD8<Scalar>(repeating: 0)
    for l in 0..<count { v[l] = p[l] }
    return v
}

/// Stores the first `count` (1...8) lanes of `v` at `p`.
@inlinable @inline(__always)
public func store8<Scalar: SIMDScalar>(_ v: SIMD8<Scalar>, _ p: UnsafeMutablePointer<Scalar>, count: Int) {
    if count >= 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Scalar>.self)
        return
    }
    for l in 0..<count { p[l] = v[l] }
}

/// Bahdanau's additive scores of one query over `steps` keys (`recur_additive_scores`):
/// `scores[j] = sum_i v[i] tanh(query[i] + keys[j * stride + i])` for i < `width`, and the tanh values in
/// `hidden[j * width + i]` when it is given. Sixteen lanes on a CPU with AVX-512, eight otherwise, with
/// the tanh of the gate kernels.
@inlinable
public func additiveScores(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, v: UnsafePointer<Float>,
                           width: Int, steps: Int, hidden: UnsafeMutablePointer<Float>?, scores: UnsafeMutablePointer<Float>) {
    recur_additive_scores(query, keys, stride, v, width, steps, hidden, scores)
}

/// One softmax row's numerators (`recur_softmax_numerators`): `out[j] = e^(x[j] - max)` for j < `count`
/// (at least 1), in the run-time instruction set with the exp above. Returns the row's maximum (NaN if
/// an element is NaN) and the numerators' sum, added in Double.
@inlinable
public func softmaxNumerators(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) -> (maximum: Float, sum: Double) {
    var maximum: Float = 0
    let sum = recur_softmax_numerators(x, count, out, &maximum)
    return (maximum, sum)
}
