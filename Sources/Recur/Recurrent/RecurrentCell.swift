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

    /// A cell with the given weights (copied): PyTorch's `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
    public init(cell: CellKind, weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>, biasHH: Tensor<Scalar>) {
        let H = weightHH.shape.last ?? 0, GH = cell.gateCount * H
        precondition(weightHH.shape == [GH, H] && weightIH.rank == 2 && weightIH.shape[0] == GH && biasIH.shape == [GH] && biasHH.shape == [GH],
                     "\(cell) cell: weights of shapes \(weightIH.shape), \(weightHH.shape), \(biasIH.shape), \(biasHH.shape) do not fit together")
        self.cell = cell
        self.inputSize = weightIH.shape[1]
        self.hiddenSize = H
        self.weightIH = Parameter(weightIH)
        self.weightHH = Parameter(weightHH)
        self.biasIH = Parameter(biasIH)
        self.biasHH = Parameter(biasHH)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH), ("bias_ih", biasIH), ("bias_hh", biasHH)]
    }

    // MARK: The step on raw buffers (no allocation)

    /// The input side of a step: `gates[B, G*H] = x[B, I] W_ih^T + b_ih`, plus `b_hh` for the RNN and
    /// the LSTM (whose input and recurrent parts are simply added; the GRU keeps `b_hh` with the
    /// recurrent part, which its reset gate scales). `RecurrentLayer.project` forms the same sum.
    public func projectInput(_ x: UnsafePointer<Scalar>, batch: Int, into gates: UnsafeMutablePointer<Scalar>) {
        let GH = gateWidth, I = inputSize
        for r in 0..<batch { inputBias(into: gates + r * GH) }
        weightIH.value.withUnsafeBufferPointer { w in
            gemm(engine: engine, transB: true, m: batch, n: GH, k: I, a: x, lda: I, b: w.baseAddress!, ldb: I,
                 beta: 1, c: gates, ldc: GH)
        }
    }

    /// The biases of a row's input side, `[G*H]`: `b_ih + b_hh`, or `b_ih` for the GRU (which keeps
    /// `b_hh` with the recurrent part, `recurrentBias`).
    public func inputBias(into row: UnsafeMutablePointer<Scalar>) {
        let GH = gateWidth
        biasIH.value.withUnsafeBufferPointer { bih in
            biasHH.value.withUnsafeBufferPointer { bhh in
                row.update(from: bih.baseAddress!, count: GH)
                if cell != .gru { for j in 0..<GH { row[j] += bhh[j] } }
            }
        }
    }

    /// The GRU's recurrent biases of a row, `b_hh` `[3H]`, where its recurrent part starts.
    public func recurrentBias(into row: UnsafeMutablePointer<Scalar>) {
        biasHH.value.withUnsafeBufferPointer { row.update(from: $0.baseAddress!, count: gateWidth) }
    }

    /// W_ih and W_hh copied now for products of one row (`VectorProduct`, in `engine`'s precision), for
    /// a sampler's steps while the weights stay as they are now; nil for Double and on the reference
    /// engine, whose steps use `projectInput` and `advance`.
    public func vectorProducts() -> (input: VectorProduct, recurrent: VectorProduct)? {
        guard Scalar.self == Float.self else { return nil }
        func copy(_ weight: Tensor<Scalar>, inputs: Int) -> VectorProduct? {
            weight.withUnsafeBufferPointer {
                VectorProduct(weight: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: Float.self),
                              outputs: gateWidth, inputs: inputs, engine: engine)
            }
        }
        guard let input = copy(weightIH.value, inputs: inputSize), let recurrent = copy(weightHH.value, inputs: hiddenSize)
        else { return nil }
        return (input, recurrent)
    }

    /// Advances the state `h` (and `c`) `[B, H]` by one step, in place, given the step's input side in
    /// `gates` (as `projectInput` leaves it). On exit `gates` holds the gate activations and `cache`
    /// `[B, 4H]` what the backward step needs (LSTM: tanh(c') `[B, H]` in its first B x H elements; GRU:
    /// r | z | n | h_n per row); `hiddenGates` `[B, G*H]` is the GRU's workspace. Allocates nothing: a sampler calls this
    /// once per layer and symbol.
    public func advance(gates: UnsafeMutablePointer<Scalar>, hiddenGates: UnsafeMutablePointer<Scalar>,
                        h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
                        cache: UnsafeMutablePointer<Scalar>, batch: Int) {
        let H = hiddenSize, GH = gateWidth
        let recurrent = cell == .gru ? hiddenGates : gates
        if cell == .gru {
            for r in 0..<batch { recurrentBias(into: hiddenGates + r * GH) }
        }
        weightHH.value.withUnsafeBufferPointer { w in
            gemm(engine: engine, transB: true, m: batch, n: GH, k: H, a: h, lda: H, b: w.baseAddress!, ldb: H,
                 beta: 1, c: recurrent, ldc: GH)
        }
        activate(gates: gates, hiddenGates: hiddenGates, h: h, c: c, cache: cache, batch: batch)
    }

    /// The element-wise part of `advance`, once the step's products are in place: `gates` holds the
    /// whole pre-activation (the GRU's input side; its recurrent side, with `b_hh`, in `hiddenGates`).
    public func activate(gates: UnsafeMutablePointer<Scalar>, hiddenGates: UnsafeMutablePointer<Scalar>,
                         h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?,
                         cache: UnsafeMutablePointer<Scalar>, batch: Int) {
        let H = hiddenSize
        switch cell {
        case .lstm:
            // In place: each element of c and h is read before it is written.
            LSTMGates.forward(gates: gates, cPrev: c!, hPrev: h, c: c!, h: h, tanhC: cache, batch: batch, hidden: H, active: nil)
        case .gru:
            GRUGates.forward(xGates: gates, hGates: hiddenGates, hPrev: h, h: h, cache: cache, batch: batch, hidden: H, active: nil)
        case .rnnTanh, .rnnReLU:
            RNNGates.forward(preactivation: gates, hPrev: h, h: h, activation: cell.rnnActivation!, batch: batch, hidden: H, active: nil)
        }
    }

    private var gateWidth: Int { cell.gateCount * hiddenSize }

    /// An all-zero state for `batch` rows.
    public func zeroState(batch: Int) -> RecurrentState<Scalar> {
        RecurrentState(h: Tensor(shape: [batch, hiddenSize]), c: cell.hasCellState ? Tensor(shape: [batch, hiddenSize]) : nil)
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
        var gates = Tensor<Scalar>(shape: [B, gateWidth]), hiddenGates = Tensor<Scalar>(shape: [B, gateWidth])
        var h = previous.h, c = previous.c ?? Tensor<Scalar>(shape: [0])
        var cache = Tensor<Scalar>(shape: [B, 4 * H])
        x.withUnsafeBufferPointer { xb in
            gates.withUnsafeMutableBufferPointer { g in
                projectInput(xb.baseAddress!, batch: B, into: g.baseAddress!)
                hiddenGates.withUnsafeMutableBufferPointer { hg in
                    h.withUnsafeMutableBufferPointer { hb in
                        c.withUnsafeMutableBufferPointer { cb in
                            cache.withUnsafeMutableBufferPointer { kb in
                                advance(gates: g.baseAddress!, hiddenGates: hg.baseAddress!, h: hb.baseAddress!,
                                        c: cell.hasCellState ? cb.baseAddress! : nil, cache: kb.baseAddress!, batch: B)
                            }
                        }
                    }
                }
            }
        }
        let state = RecurrentState(h: h, c: cell.hasCellState ? c : nil)
        switch cell {
        case .lstm:
            // tanh(c') is the cache's first B x H elements.
            let tanhC = Tensor<Scalar>(shape: [B, H], scalars: Array(cache.scalars[0..<(B * H)]))
            return Step(input: x, previous: previous, state: state, gates: gates, tanhC: tanhC)
        case .gru:
            return Step(input: x, previous: previous, state: state, gates: cache, tanhC: Tensor(shape: [0]))
        case .rnnTanh, .rnnReLU:
            return Step(input: x, previous: previous, state: state, gates: Tensor(shape: [0]), tanhC: Tensor(shape: [0]))
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
