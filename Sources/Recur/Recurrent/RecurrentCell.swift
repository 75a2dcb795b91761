import RecurCore

/// One step of a recurrent cell, forward and backward: the building block of decoders, samplers and
/// beam search, where each step's input depends on the previous step's output. PyTorch's
/// `nn.LSTMCell`, `nn.GRUCell` and `nn.RNNCell`, with their parameter names (`weight_ih`,
/// `weight_hh`, `bias_ih`, `bias_hh`), shapes and gate orders (LSTM i | f | g | o, GRU r | z | n).
///
/// Shapes: input `[B, I]`, state h (and c) `[B, H]`. `forward` returns the new state and a `Step`
/// that holds what `backward` needs; a caller unrolling T steps keeps the T steps and calls
/// `backward` on them in reverse order, passing each step's dL/dh (and dL/dc) plus what the later
/// step handed back. Weight gradients accumulate across calls.
///
/// The whole-sequence layers (`RecurrentNetwork`) remain the fast path for encoders; this type does
/// per step the same arithmetic with the same fused gate kernels.
public class RecurrentCell<Scalar: RecurScalar>: Module {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let weightIH: Parameter<Scalar>  // [G*H, I]
    public let weightHH: Parameter<Scalar>  // [G*H, H]
    public let biasIH: Parameter<Scalar>    // [G*H]
    public let biasHH: Parameter<Scalar>    // [G*H]
    public var engine: GEMMEngine = .fast

    /// What one forward step saw and computed, for its backward step.
    public struct Step: Sendable {
        public let input: Tensor<Scalar>        // [B, I]
        public let previous: RecurrentState<Scalar>
        public let state: RecurrentState<Scalar>
        /// LSTM: the gate activations [B, 4H]; GRU: r | z | n | h_n [B, 4H]; RNN: empty.
        let gates: Tensor<Scalar>
        /// LSTM: tanh(c') [B, H]; otherwise empty.
        let tanhC: Tensor<Scalar>
    }

    public init(cell: CellKind, inputSize: Int, hiddenSize: Int, initialization: WeightInitialization = .pytorch,
                using generator: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0,
                     "\(cell) cell: expected positive sizes, got input \(inputSize), hidden \(hiddenSize)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let p: (weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>, biasHH: Tensor<Scalar>) =
            RecurrentNetwork<Scalar>.initialParameters(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize,
                                                       initialization: initialization, using: &generator)
        weightIH = Parameter(p.weightIH)
        weightHH = Parameter(p.weightHH)
        biasIH = Parameter(p.biasIH)
        biasHH = Parameter(p.biasHH)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH), ("bias_ih", biasIH), ("bias_hh", biasHH)]
    }

    private var gateWidth: Int { cell.gateCount * hiddenSize }

    /// An all-zero state for `batch` rows.
    public func zeroState(batch: Int) -> RecurrentState<Scalar> {
        RecurrentState(h: Tensor(shape: [batch, hiddenSize]), c: cell.hasCellState ? Tensor(shape: [batch, hiddenSize]) : nil)
    }

    /// `y[B, G*H] = a[B, K] W[G*H, K]^T + bias`.
    private func affine(_ a: Tensor<Scalar>, _ w: Parameter<Scalar>, _ bias: Parameter<Scalar>) -> Tensor<Scalar> {
        let B = a.shape[0], K = a.shape[1], N = gateWidth
        var y = Tensor<Scalar>(shape: [B, N])
        y.withUnsafeMutableBufferPointer { yb in
            bias.value.withUnsafeBufferPointer { bb in
                for r in 0..<B { (yb.baseAddress! + r * N).update(from: bb.baseAddress!, count: N) }
            }
            a.withUnsafeBufferPointer { ab in
                w.value.withUnsafeBufferPointer { wb in
                    gemm(engine: engine, transB: true, m: B, n: N, k: K, a: ab.baseAddress!, lda: K,
                         b: wb.baseAddress!, ldb: K, beta: 1, c: yb.baseAddress!, ldc: N)
                }
            }
        }
        return y
    }

    /// Accumulates dW += d[B, G*H]^T a[B, K] and db += column sums of d; returns d W `[B, K]`.
    private func affineBackward(_ d: Tensor<Scalar>, _ a: Tensor<Scalar>, _ w: Parameter<Scalar>,
                                _ bias: Parameter<Scalar>) -> Tensor<Scalar> {
        let B = a.shape[0], K = a.shape[1], N = gateWidth
        var da = Tensor<Scalar>(shape: [B, K])
        d.withUnsafeBufferPointer { db in
            a.withUnsafeBufferPointer { ab in
                w.gradient.withUnsafeMutableBufferPointer { wg in
                    gemm(engine: engine, transA: true, m: N, n: K, k: B, a: db.baseAddress!, lda: N,
                         b: ab.baseAddress!, ldb: K, beta: 1, c: wg.baseAddress!, ldc: K)
                }
            }
            bias.gradient.withUnsafeMutableBufferPointer { bg in
                for r in 0..<B { for j in 0..<N { bg[j] += db[r * N + j] } }
            }
            w.value.withUnsafeBufferPointer { wb in
                da.withUnsafeMutableBufferPointer { dab in
                    gemm(engine: engine, m: B, n: K, k: N, a: db.baseAddress!, lda: N,
                         b: wb.baseAddress!, ldb: K, c: dab.baseAddress!, ldc: K)
                }
            }
        }
        return da
    }

    /// One step: the new state, and the record its backward step needs.
    public func forward(_ x: Tensor<Scalar>, state: RecurrentState<Scalar>? = nil) -> Step {
        precondition(x.rank == 2 && x.shape[1] == inputSize, "\(cell) cell: expected input [B, \(inputSize)], got \(x.shape)")
        let B = x.shape[0], H = hiddenSize
        let previous = state ?? zeroState(batch: B)
        precondition(previous.h.shape == [B, H] && (!cell.hasCellState || previous.c?.shape == [B, H]),
                     "\(cell) cell: expected a state of shape [\(B), \(H)]")
        var h = Tensor<Scalar>(shape: [B, H])
        switch cell {
        case .lstm:
            var gates = affine(x, weightIH, biasIH)
            let recurrent = affine(previous.h, weightHH, biasHH)
            var c = Tensor<Scalar>(shape: [B, H]), tanhC = Tensor<Scalar>(shape: [B, H])
            gates.withUnsafeMutableBufferPointer { g in
                recurrent.withUnsafeBufferPointer { r in for i in 0..<g.count { g[i] += r[i] } }
                previous.c!.withUnsafeBufferPointer { cp in
                    previous.h.withUnsafeBufferPointer { hp in
                        c.withUnsafeMutableBufferPointer { cb in
                            h.withUnsafeMutableBufferPointer { hb in
                                tanhC.withUnsafeMutableBufferPointer { tb in
                                    LSTMGates.forward(gates: g.baseAddress!, cPrev: cp.baseAddress!, hPrev: hp.baseAddress!,
                                                      c: cb.baseAddress!, h: hb.baseAddress!, tanhC: tb.baseAddress!,
                                                      batch: B, hidden: H, active: nil)
                                }
                            }
                        }
                    }
                }
            }
            return Step(input: x, previous: previous, state: RecurrentState(h: h, c: c), gates: gates, tanhC: tanhC)
        case .gru:
            let xGates = affine(x, weightIH, biasIH), hGates = affine(previous.h, weightHH, biasHH)
            var cache = Tensor<Scalar>(shape: [B, GRUGates.cacheWidth * H])
            xGates.withUnsafeBufferPointer { xg in
                hGates.withUnsafeBufferPointer { hg in
                    previous.h.withUnsafeBufferPointer { hp in
                        h.withUnsafeMutableBufferPointer { hb in
                            cache.withUnsafeMutableBufferPointer { cb in
                                GRUGates.forward(xGates: xg.baseAddress!, hGates: hg.baseAddress!, hPrev: hp.baseAddress!,
                                                 h: hb.baseAddress!, cache: cb.baseAddress!, batch: B, hidden: H, active: nil)
                            }
                        }
                    }
                }
            }
            return Step(input: x, previous: previous, state: RecurrentState(h: h), gates: cache, tanhC: Tensor(shape: [0]))
        case .rnnTanh, .rnnReLU:
            var pre = affine(x, weightIH, biasIH)
            let recurrent = affine(previous.h, weightHH, biasHH)
            pre.withUnsafeMutableBufferPointer { p in
                recurrent.withUnsafeBufferPointer { r in for i in 0..<p.count { p[i] += r[i] } }
                previous.h.withUnsafeBufferPointer { hp in
                    h.withUnsafeMutableBufferPointer { hb in
                        RNNGates.forward(preactivation: p.baseAddress!, hPrev: hp.baseAddress!, h: hb.baseAddress!,
                                         activation: cell.rnnActivation!, batch: B, hidden: H, active: nil)
                    }
                }
            }
            return Step(input: x, previous: previous, state: RecurrentState(h: h), gates: Tensor(shape: [0]), tanhC: Tensor(shape: [0]))
        }
    }

    /// Back-propagates one step: given dL/d(new state) (`c` nil counts as zero), accumulates the
    /// weight gradients and returns dL/dx `[B, I]` and dL/d(previous state) `[B, H]`.
    public func backward(_ step: Step, stateGradient: RecurrentState<Scalar>)
        -> (inputGradient: Tensor<Scalar>, previousStateGradient: RecurrentState<Scalar>) {
        let B = step.input.shape[0], H = hiddenSize, GH = gateWidth
        precondition(stateGradient.h.shape == [B, H], "\(cell) cell: expected dL/dh of shape [\(B), \(H)], got \(stateGradient.h.shape)")
        var dGates = Tensor<Scalar>(shape: [B, GH])
        var direct = Tensor<Scalar>(shape: [B, H])  // the part of dL/dh_prev that bypasses W_hh
        var dcPrev: Tensor<Scalar>? = nil
        switch cell {
        case .lstm:
            var dc = stateGradient.c ?? Tensor(shape: [B, H])
            precondition(dc.shape == [B, H], "\(cell) cell: expected dL/dc of shape [\(B), \(H)], got \(dc.shape)")
            step.gates.withUnsafeBufferPointer { g in
                step.previous.c!.withUnsafeBufferPointer { cp in
                    step.tanhC.withUnsafeBufferPointer { tc in
                        stateGradient.h.withUnsafeBufferPointer { dh in
                            dc.withUnsafeMutableBufferPointer { dcb in
                                dGates.withUnsafeMutableBufferPointer { dg in
                                    direct.withUnsafeMutableBufferPointer { dd in
                                        LSTMGates.backward(gates: g.baseAddress!, cPrev: cp.baseAddress!, tanhC: tc.baseAddress!,
                                                           dh: dh.baseAddress!, dc: dcb.baseAddress!, dGates: dg.baseAddress!,
                                                           dhPrevDirect: dd.baseAddress!, batch: B, hidden: H, active: nil)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            dcPrev = dc
        case .gru:
            var dhGates = Tensor<Scalar>(shape: [B, GH])
            step.gates.withUnsafeBufferPointer { cache in
                step.previous.h.withUnsafeBufferPointer { hp in
                    stateGradient.h.withUnsafeBufferPointer { dh in
                        dGates.withUnsafeMutableBufferPointer { dx in
                            dhGates.withUnsafeMutableBufferPointer { dhg in
                                direct.withUnsafeMutableBufferPointer { dd in
                                    GRUGates.backward(cache: cache.baseAddress!, hPrev: hp.baseAddress!, dh: dh.baseAddress!,
                                                      dxGates: dx.baseAddress!, dhGates: dhg.baseAddress!,
                                                      dhPrevDirect: dd.baseAddress!, batch: B, hidden: H, active: nil)
                                }
                            }
                        }
                    }
                }
            }
            let dx = affineBackward(dGates, step.input, weightIH, biasIH)
            var dh = affineBackward(dhGates, step.previous.h, weightHH, biasHH)
            dh.withUnsafeMutableBufferPointer { d in direct.withUnsafeBufferPointer { s in for i in 0..<d.count { d[i] += s[i] } } }
            return (dx, RecurrentState(h: dh))
        case .rnnTanh, .rnnReLU:
            step.state.h.withUnsafeBufferPointer { h in
                stateGradient.h.withUnsafeBufferPointer { dh in
                    dGates.withUnsafeMutableBufferPointer { dp in
                        direct.withUnsafeMutableBufferPointer { dd in
                            RNNGates.backward(h: h.baseAddress!, dh: dh.baseAddress!, dPreactivation: dp.baseAddress!,
                                              dhPrevDirect: dd.baseAddress!, activation: cell.rnnActivation!,
                                              batch: B, hidden: H, active: nil)
                        }
                    }
                }
            }
        }
        // RNN and LSTM: the input and recurrent pre-activations share one gradient.
        let dx = affineBackward(dGates, step.input, weightIH, biasIH)
        var dh = affineBackward(dGates, step.previous.h, weightHH, biasHH)
        dh.withUnsafeMutableBufferPointer { d in direct.withUnsafeBufferPointer { s in for i in 0..<d.count { d[i] += s[i] } } }
        return (dx, RecurrentState(h: dh, c: dcPrev))
    }
}

/// PyTorch's `nn.LSTMCell`: one LSTM step (see `RecurrentCell`, `LSTM`).
public final class LSTMCell<Scalar: RecurScalar>: RecurrentCell<Scalar> {
    public init(inputSize: Int, hiddenSize: Int, initialization: WeightInitialization = .pytorch,
                using generator: inout RandomGenerator) {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, initialization: initialization, using: &generator)
    }
}

/// PyTorch's `nn.GRUCell`: one GRU step (see `RecurrentCell`, `GRU`).
public final class GRUCell<Scalar: RecurScalar>: RecurrentCell<Scalar> {
    public init(inputSize: Int, hiddenSize: Int, initialization: WeightInitialization = .pytorch,
                using generator: inout RandomGenerator) {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, initialization: initialization, using: &generator)
    }
}

/// PyTorch's `nn.RNNCell`: one Elman step with tanh or ReLU (see `RecurrentCell`, `RNN`).
public final class RNNCell<Scalar: RecurScalar>: RecurrentCell<Scalar> {
    public init(inputSize: Int, hiddenSize: Int, nonlinearity: Activation = .tanh,
                initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator) {
        super.init(cell: nonlinearity == .relu ? .rnnReLU : .rnnTanh, inputSize: inputSize, hiddenSize: hiddenSize,
                   initialization: initialization, using: &generator)
    }
}
