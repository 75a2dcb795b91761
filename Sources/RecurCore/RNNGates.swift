import _RecurVectorMath

/// The element-wise part of one vanilla RNN step, forward and backward:
///
///     h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),   act = tanh or relu
///
/// Shapes: B batch rows, H hidden units; `active[b] == false` carries the row's state unchanged.
public enum RNNGates {
    /// One step forward: `h[B, H] = act(preactivation[B, H] + bias[H])` (no bias when nil), or hPrev for
    /// an ended row.
    @inlinable @_specialize(where Scalar == Float)
    public static func forward<Scalar: RecurScalar>(
        preactivation: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>? = nil, hPrev: UnsafePointer<Scalar>,
        h: UnsafeMutablePointer<Scalar>,
        activation: Activation, batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        if Scalar.self == Float.self {
            // Float: the C kernel in the run-time instruction set (InstructionSet).
            recur_rnn_forward(float(preactivation), bias.map(float), float(hPrev), float(h), activation.code, batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<hidden { h[s + j] = hPrev[s + j] }
                continue
            }
            var j = 0
            while j < hidden {
                let n = min(8, hidden - j)
                store8(activation.apply(load8(preactivation + s + j, count: n) + biasLanes(bias, j, n)), h + s + j, count: n)
                j += 8
            }
        }
    }

    /// One step backward: `dPre[B, H] = dh * act'(h')`; dhPrevDirect is dh for an ended row, else 0.
    @inlinable @_specialize(where Scalar == Float)
    public static func backward<Scalar: RecurScalar>(
        h: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dPreactivation: UnsafeMutablePointer<Scalar>, dhPrevDirect: UnsafeMutablePointer<Scalar>,
        activation: Activation, batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        if Scalar.self == Float.self {
            recur_rnn_backward(float(h), float(dh), float(dPreactivation), float(dhPrevDirect), activation.code, batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<hidden {
                    dPreactivation[s + j] = 0
                    dhPrevDirect[s + j] = dh[s + j]
                }
                continue
            }
            var j = 0
            while j < hidden {
                let n = min(8, hidden - j)
                let y = load8(h + s + j, count: n)
                store8(load8(dh + s + j, count: n) * activation.derivative(output: y), dPreactivation + s + j, count: n)
                store8(SIMD8(repeating: 0), dhPrevDirect + s + j, count: n)
                j += 8
            }
        }
    }
}

extension Activation {
    /// The C kernels' code of the activation: 0 tanh, 1 relu, 2 sigmoid.
    @inlinable var code: Int32 {
        switch self {
        case .tanh: return 0
        case .relu: return 1
        case .sigmoid: return 2
        }
    }
}
