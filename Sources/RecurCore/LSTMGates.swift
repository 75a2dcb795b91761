import _RecurVectorMath

/// The fused element-wise part of one LSTM step, forward and backward (PyTorch's equations):
///
///     i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
///     c' = f * c + i * g
///     h' = o * tanh(c')
///
/// where `a = x W_ih^T + b_ih + h W_hh^T + b_hh` is the `[B, 4H]` pre-activation with gate blocks in
/// the order i | f | g | o along each row. The matrix products are done by the caller; these kernels
/// only touch `B x 4H` values, once.
///
/// Shapes: B batch rows, H hidden units. `active[b] == false` marks a row whose sequence has ended:
/// its state is carried unchanged and it receives no gradient through the gates.
public enum LSTMGates {
    /// One step forward.
    /// - gates: `[B, 4H]`, the pre-activation on entry (or its input part, with `hGates`), the
    ///   activations i, f, g, o on exit.
    /// - table, ids: with them the input part of row b is the table's row `ids[b]` (`[V, 4H]`: a token
    ///   layer's `W_ih^T` columns) and `gates` is only written, which spares gathering those rows into
    ///   the gate cache first.
    /// - hGates: `[B, 4H]`, the recurrent part `h W_hh^T`, added to `gates` first; nil when `gates`
    ///   holds it already. (The time loop's product then writes a small buffer instead of adding into
    ///   the step's rows of the large gate cache: docs/performance.md section 17.)
    /// - bias: `[4H]` added to every row's pre-activation next, or nil when `gates` holds it already.
    /// - cPrev, hPrev: `[B, H]`, the previous state.
    /// - c, h: `[B, H]`, the new state. tanhC: `[B, H]`, tanh(c) kept for the backward pass; nil at
    ///   inference, when no backward step follows: then neither it nor the activations are written
    ///   (`gates` is only read).
    @inlinable @_specialize(where Scalar == Float)
    public static func forward<Scalar: RecurScalar>(
        gates: UnsafeMutablePointer<Scalar>, table: UnsafePointer<Scalar>? = nil, ids: UnsafePointer<Int>? = nil,
        hGates: UnsafePointer<Scalar>? = nil, bias: UnsafePointer<Scalar>? = nil,
        cPrev: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        c: UnsafeMutablePointer<Scalar>, h: UnsafeMutablePointer<Scalar>,
        tanhC: UnsafeMutablePointer<Scalar>?,
        batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        precondition((table == nil) == (ids == nil), "LSTMGates.forward: a table needs ids, and ids a table")
        if Scalar.self == Float.self {
            // Float: the C kernel in the run-time instruction set (InstructionSet).
            recur_lstm_forward(float(gates), table.map(float), ids, hGates.map(float), bias.map(float), float(cPrev), float(hPrev),
                               float(c), float(h), tanhC.map(float), batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let row = gates + b * 4 * hidden
            let xRow = table.map { $0 + ids![b] * 4 * hidden } ?? UnsafePointer(row)
            let hRow = hGates.map { $0 + b * 4 * hidden }
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<hidden {
                    c[s + j] = cPrev[s + j]
                    h[s + j] = hPrev[s + j]
                    tanhC?[s + j] = 0
                }
                continue
            }
            var j = 0
            while j < hidden {
                let n = min(8, hidden - j)
                let i = sigmoid(load8(xRow + j, count: n) + biasLanes(hRow, j, n) + biasLanes(bias, j, n))
                let f = sigmoid(load8(xRow + hidden + j, count: n) + biasLanes(hRow, hidden + j, n) + biasLanes(bias, hidden + j, n))
                let g = Scalar.tanh(load8(xRow + 2 * hidden + j, count: n) + biasLanes(hRow, 2 * hidden + j, n)
                                + biasLanes(bias, 2 * hidden + j, n))
                let o = sigmoid(load8(xRow + 3 * hidden + j, count: n) + biasLanes(hRow, 3 * hidden + j, n) + biasLanes(bias, 3 * hidden + j, n))
                if tanhC != nil {  // recording: the activations for the backward step
                    store8(i, row + j, count: n)
                    store8(f, row + hidden + j, count: n)
                    store8(g, row + 2 * hidden + j, count: n)
                    store8(o, row + 3 * hidden + j, count: n)
                }
                let cNew = f * load8(cPrev + s + j, count: n) + i * g
                let tc = Scalar.tanh(cNew)
                store8(cNew, c + s + j, count: n)
                if let tanhC { store8(tc, tanhC + s + j, count: n) }
                store8(o * tc, h + s + j, count: n)
                j += 8
            }
        }
    }

    /// One step backward.
    /// - gates: `[B, 4H]` activations from the forward step; cPrev, tanhC: `[B, H]` from it too.
    /// - dh: `[B, H]`, dL/dh' (from the output at this step plus from the next step).
    /// - dc: `[B, H]`, dL/dc' on entry; dL/dc (the previous cell state) on exit.
    /// - dGates: `[B, 4H]`, dL/da on exit.
    /// - dhPrevDirect: `[B, H]`, the part of dL/dh that does not pass through W_hh: dh itself for an
    ///   ended row, zero otherwise.
    @inlinable @_specialize(where Scalar == Float)
    public static func backward<Scalar: RecurScalar>(
        gates: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>, tanhC: UnsafePointer<Scalar>,
        dh: UnsafePointer<Scalar>, dc: UnsafeMutablePointer<Scalar>,
        dGates: UnsafeMutablePointer<Scalar>, dhPrevDirect: UnsafeMutablePointer<Scalar>,
        batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        if Scalar.self == Float.self {
            recur_lstm_backward(float(gates), float(cPrev), float(tanhC), float(dh), float(dc), float(dGates), float(dhPrevDirect),
                                batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let row = gates + b * 4 * hidden
            let dRow = dGates + b * 4 * hidden
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<4 * hidden { dRow[j] = 0 }
                for j in 0..<hidden { dhPrevDirect[s + j] = dh[s + j] }
                continue
            }
            var j = 0
            while j < hidden {
                let n = min(8, hidden - j)
                let i = load8(row + j, count: n), f = load8(row + hidden + j, count: n)
                let g = load8(row + 2 * hidden + j, count: n), o = load8(row + 3 * hidden + j, count: n)
                let tc = load8(tanhC + s + j, count: n)
                let dhj = load8(dh + s + j, count: n)
                // dL/dc' = carried part + the part through h' = o * tanh(c')
                let dcNew = load8(dc + s + j, count: n) + dhj * o * (1 - tc * tc)
                store8(dcNew * g * i * (1 - i), dRow + j, count: n)                          // sigmoid(a_i)
                store8(dcNew * load8(cPrev + s + j, count: n) * f * (1 - f), dRow + hidden + j, count: n)  // sigmoid(a_f)
                store8(dcNew * i * (1 - g * g), dRow + 2 * hidden + j, count: n)             // tanh(a_g)
                store8(dhj * tc * o * (1 - o), dRow + 3 * hidden + j, count: n)              // sigmoid(a_o)
                store8(dcNew * f, dc + s + j, count: n)                                      // dL/dc, to the previous step
                store8(SIMD8(repeating: 0), dhPrevDirect + s + j, count: n)
                j += 8
            }
        }
    }
}

/// Eight lanes of a bias from `offset` (the first `count` read), or zeros without one.
@inlinable @inline(__always)
func biasLanes<Scalar: RecurScalar>(_ bias: UnsafePointer<Scalar>?, _ offset: Int, _ count: Int) -> SIMD8<Scalar> {
    guard let bias else { return SIMD8(repeating: 0) }
    return load8(bias + offset, count: count)
}

/// A Float pointer of a pointer the caller knows to hold Floats (the kernels' `Scalar == Float` path).
@inlinable @inline(__always)
func float<Scalar>(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }

@inlinable @inline(__always)
func float<Scalar>(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
