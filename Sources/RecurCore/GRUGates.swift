import _RecurVectorMath

/// The fused element-wise part of one GRU step, forward and backward (PyTorch's equations):
///
///     r = sigmoid(x_r + h_r)        with x_* = rows of x W_ih^T + b_ih
///     z = sigmoid(x_z + h_z)             h_* = rows of h W_hh^T + b_hh
///     n = tanh(x_n + r * h_n)
///     h' = (1 - z) * n + z * h
///
/// Gate blocks along each `[B, 3H]` row are in the order r | z | n. Unlike the LSTM, the input and
/// recurrent pre-activations stay apart, because the reset gate multiplies only h_n.
///
/// Shapes: B batch rows, H hidden units; `active[b] == false` carries the row's state unchanged.
public enum GRUGates {
    /// Width of the per-step cache row: r, z, n and h_n, each H wide.
    public static let cacheWidth = 4

    /// One step forward.
    /// - xGates, hGates: `[B, 3H]`, the input and recurrent pre-activations (hGates with b_hh).
    /// - xBias: `[3H]` (b_ih) added to every row of xGates, or nil when xGates holds it already.
    /// - hPrev: `[B, H]`. h: `[B, H]`, the new state.
    /// - cache: `[B, 4H]`, r | z | n | h_n for the backward pass; nil at inference (nothing kept).
    @inlinable @_specialize(where Scalar == Float)
    public static func forward<Scalar: RecurScalar>(
        xGates: UnsafePointer<Scalar>, xBias: UnsafePointer<Scalar>? = nil, hGates: UnsafePointer<Scalar>,
        hPrev: UnsafePointer<Scalar>, h: UnsafeMutablePointer<Scalar>, cache: UnsafeMutablePointer<Scalar>?,
        batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        if Scalar.self == Float.self {
            // Float: the C kernel in the run-time instruction set (InstructionSet).
            recur_gru_forward(float(xGates), xBias.map(float), float(hGates), float(hPrev), float(h), cache.map(float), batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let xRow = xGates + b * 3 * hidden
            let hRow = hGates + b * 3 * hidden
            let cRow = cache.map { $0 + b * 4 * hidden }
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<hidden { h[s + j] = hPrev[s + j] }
                if let cRow { for j in 0..<4 * hidden { cRow[j] = 0 } }
                continue
            }
            var j = 0
            while j < hidden {
                let m = min(8, hidden - j)
                let xr = load8(xRow + j, count: m) + biasLanes(xBias, j, m)
                let xz = load8(xRow + hidden + j, count: m) + biasLanes(xBias, hidden + j, m)
                let xn = load8(xRow + 2 * hidden + j, count: m) + biasLanes(xBias, 2 * hidden + j, m)
                let r = sigmoid(xr + load8(hRow + j, count: m))
                let z = sigmoid(xz + load8(hRow + hidden + j, count: m))
                let hn = load8(hRow + 2 * hidden + j, count: m)
                let n = Scalar.tanh(xn + r * hn)
                if let cRow {
                    store8(r, cRow + j, count: m)
                    store8(z, cRow + hidden + j, count: m)
                    store8(n, cRow + 2 * hidden + j, count: m)
                    store8(hn, cRow + 3 * hidden + j, count: m)
                }
                store8((1 - z) * n + z * load8(hPrev + s + j, count: m), h + s + j, count: m)
                j += 8
            }
        }
    }

    /// One step backward.
    /// - cache: `[B, 4H]` from the forward step; hPrev: `[B, H]`.
    /// - dh: `[B, H]`, dL/dh'.
    /// - dxGates, dhGates: `[B, 3H]`, dL/dx_* and dL/dh_* on exit (they differ only in the n block).
    /// - dhPrevDirect: `[B, H]`, the part of dL/dh not through W_hh: z * dh' (dh' for an ended row).
    @inlinable @_specialize(where Scalar == Float)
    public static func backward<Scalar: RecurScalar>(
        cache: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
        dxGates: UnsafeMutablePointer<Scalar>, dhGates: UnsafeMutablePointer<Scalar>,
        dhPrevDirect: UnsafeMutablePointer<Scalar>,
        batch: Int, hidden: Int, active: UnsafePointer<Bool>?
    ) {
        if Scalar.self == Float.self {
            recur_gru_backward(float(cache), float(hPrev), float(dh), float(dxGates), float(dhGates), float(dhPrevDirect),
                               batch, hidden, active)
            return
        }
        for b in 0..<batch {
            let cRow = cache + b * 4 * hidden
            let dxRow = dxGates + b * 3 * hidden
            let dhRow = dhGates + b * 3 * hidden
            let s = b * hidden
            if let active, !active[b] {
                for j in 0..<3 * hidden {
                    dxRow[j] = 0
                    dhRow[j] = 0
                }
                for j in 0..<hidden { dhPrevDirect[s + j] = dh[s + j] }
                continue
            }
            var j = 0
            while j < hidden {
                let m = min(8, hidden - j)
                let r = load8(cRow + j, count: m), z = load8(cRow + hidden + j, count: m)
                let n = load8(cRow + 2 * hidden + j, count: m), hn = load8(cRow + 3 * hidden + j, count: m)
                let dhj = load8(dh + s + j, count: m)
                let dnPre = dhj * (1 - z) * (1 - n * n)                            // through tanh, into x_n + r h_n
                let dzPre = dhj * (load8(hPrev + s + j, count: m) - n) * z * (1 - z)  // through sigmoid(x_z + h_z)
                let drPre = dnPre * hn * r * (1 - r)                               // through r * h_n, sigmoid
                store8(drPre, dxRow + j, count: m)
                store8(dzPre, dxRow + hidden + j, count: m)
                store8(dnPre, dxRow + 2 * hidden + j, count: m)
                store8(drPre, dhRow + j, count: m)
                store8(dzPre, dhRow + hidden + j, count: m)
                store8(dnPre * r, dhRow + 2 * hidden + j, count: m)                // h_n enters scaled by r
                store8(dhj * z, dhPrevDirect + s + j, count: m)                    // h' = ... + z * h
                j += 8
            }
        }
    }
}
