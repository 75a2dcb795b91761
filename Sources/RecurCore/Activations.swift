/// Element-wise activations and their derivatives, as scalar functions (inlined into the fused gate
/// kernels) and as in-place passes over buffers.
///
/// Derivatives are written in terms of the activation's *output* y, which is what the backward passes
/// keep: sigmoid' = y (1 - y), tanh' = 1 - y^2, relu' = [y > 0].
public enum Activation: String, Sendable, CaseIterable {
    case tanh
    case relu
    case sigmoid

    @inlinable @inline(__always)
    public func apply<Scalar: RecurScalar>(_ x: Scalar) -> Scalar {
        switch self {
        case .tanh: return Scalar.tanh(x)
        case .relu: return RecurCore.relu(x)
        case .sigmoid: return RecurCore.sigmoid(x)
        }
    }

    /// The activation over eight lanes.
    @inlinable @inline(__always)
    public func apply<Scalar: RecurScalar>(_ x: SIMD8<Scalar>) -> SIMD8<Scalar> {
        switch self {
        case .tanh: return Scalar.tanh(x)
        case .relu: return RecurCore.relu(x)
        case .sigmoid: return RecurCore.sigmoid(x)
        }
    }

    /// The derivative at the point whose activation is `y`.
    @inlinable @inline(__always)
    public func derivative<Scalar: RecurScalar>(output y: Scalar) -> Scalar {
        switch self {
        case .tanh: return 1 - y * y
        case .relu: return y > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        }
    }

    /// The derivative over eight lanes at the points whose activations are `y`.
    @inlinable @inline(__always)
    public func derivative<Scalar: RecurScalar>(output y: SIMD8<Scalar>) -> SIMD8<Scalar> {
        switch self {
        case .tanh: return 1 - y * y
        case .relu: return SIMD8(repeating: 0).replacing(with: 1, where: y .> 0)
        case .sigmoid: return y * (1 - y)
        }
    }

    /// `y = act(x)` in place over `count` elements, eight lanes at a time (the gate kernels' path).
    @inlinable
    public func apply<Scalar: RecurScalar>(_ x: UnsafeMutablePointer<Scalar>, count: Int) {
        var i = 0
        while i < count {
            let n = min(8, count - i)
            store8(apply(load8(x + i, count: n)), x + i, count: n)
            i += 8
        }
    }

    /// `dx = dy * act'(y)` in place over `count` elements (`gradient` holds dy on entry, dx on exit).
    @inlinable
    public func backward<Scalar: RecurScalar>(
        gradient: UnsafeMutablePointer<Scalar>, output y: UnsafePointer<Scalar>, count: Int
    ) {
        for i in 0..<count { gradient[i] *= derivative(output: y[i]) }
    }
}

/// The logistic function 1 / (1 + e^-x); exact 0 and 1 at the far ends rather than NaN.
@inlinable @inline(__always)
public func sigmoid<Scalar: RecurScalar>(_ x: Scalar) -> Scalar {
    1 / (1 + Scalar.exp(-x))
}

/// max(x, 0), with NaN passed through.
@inlinable @inline(__always)
public func relu<Scalar: RecurScalar>(_ x: Scalar) -> Scalar {
    x < 0 ? 0 : x
}
