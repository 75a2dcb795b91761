/// Eight-lane exp and tanh for the gate kernels, and the loads and stores that feed them.
///
/// Float uses its own polynomial kernels, so that a gate kernel is straight-line SIMD code rather
/// than one libm call per element (libm's expm1f and tanhf were 9-18% of a training step's profile;
/// docs/performance.md). Double keeps libm lane by lane: it exists for gradient checks, where the last
/// bit matters more than the speed.
///
/// Float accuracy (VectorMathTests, about 2^20 points each): exp within 2 ulp over [-87, 88]; tanh
/// within 3e-7 absolute and 2e-6 relative. NaN propagates; exp is 0 below -87.33 (the subnormal range
/// is flushed) and +inf above 88.72, so sigmoid reaches exact 0 and 1 and tanh exact ±1.
extension Float {
    /// e^x, eight lanes: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, then scaled by
    /// 2^n through the exponent bits.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let clamped = x.clamped(lowerBound: SIMD8(repeating: -87.33), upperBound: SIMD8(repeating: 88.72))
        // n = round(x / ln2), by adding and subtracting 1.5 * 2^23 (exact for |n| < 2^22).
        let shifter = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + shifter
        let n = shifted - shifter
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4  // ln2 split in two for exactness
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        let er = p * (r * r) + r + 1
        // 2^n as 2^(n/2) * 2^(n - n/2): each factor a normal number for every n in [-126, 128].
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
        let half = integer &>> 1
        let first = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let second = unsafeBitCast((integer &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = er * first * second
        result.replace(with: 0, where: x .< -87.33)
        result.replace(with: .infinity, where: x .> 88.72)
        return result.replacing(with: x, where: x .!= x)  // NaN in, NaN out
    }

    /// tanh(x), eight lanes: for |x| below 0.625 an odd polynomial, above it 1 - 2 / (e^{2|x|} + 1);
    /// computed on |x|, then the sign of x is put back (so tanh(-0) = -0).
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let signMask = SIMD8<UInt32>(repeating: 0x8000_0000)
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(bits & ~signMask, to: SIMD8<Float>.self)
        let large = 1 - 2 / (Float.exp(a + a) + 1)
        let z = a * a
        var p = SIMD8<Float>(repeating: -5.704_988_72e-3)
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_56e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let small = p * z * a + a
        let magnitude = small.replacing(with: large, where: a .>= 0.625)
        return unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<UInt32>.self) | (bits & signMask), to: SIMD8<Float>.self)
    }
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
