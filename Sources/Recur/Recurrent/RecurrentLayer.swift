import RecurCore

/// One direction of one recurrent layer, run over a whole sequence at once.
///
/// Shape legend: T steps, B batch rows, I input features, H hidden units, G gate blocks (CellKind).
///
/// Forward: one GEMM computes the input projection of every step, `XG[T*B, G*H] = X W_ih^T`; inside
/// the time loop only `h W_hh^T` (one `[B, H] x [H, G*H]` GEMM, W_hh packed once per loop where the
/// library keeps it packed: `PackedProduct.keepsWeightsPacked`) and the
/// fused gate kernel, which adds the biases, run.
/// Backward (BPTT): the time loop runs the gate kernels backwards and one `[B, G*H] x [G*H, H]` GEMM
/// per step for dL/dh; afterwards dL/dW_ih, dL/dW_hh, the bias gradients and dL/dX are each a single
/// GEMM (or column sum) over all T*B rows.
///
/// Cached for the backward pass (element counts, all allocated once per shape and reused):
/// - `states`: `(T+1) B H`. Forward direction: h0 at slot 0, the state after step t at slot t+1.
///   Reverse direction: h0 at slot T, the state after step t at slot t. Either way the previous
///   states of steps 0..<T are T contiguous slots, which makes dL/dW_hh a single GEMM.
/// - `cells`: `(T+1) B H` (LSTM only), arranged like `states`.
/// - `gates`: `T B G H`: the pre-activations (RNN), or their input part (LSTM, GRU: the recurrent
///   part is each step's `hiddenGates`), without the biases, which the gate kernels add; then (LSTM)
///   the activated gates in place.
/// - `extra`: LSTM `T B H` (tanh c); GRU `T B 4H` (r, z, n, h_n); RNN none.
/// Backward workspaces: `dGates` `T B G H` and (GRU) `dHiddenGates` `T B G H`, plus four `B H` rows.
final class RecurrentLayer<Scalar: RecurScalar> {
    let cell: CellKind
    let inputSize: Int
    let hiddenSize: Int
    let reverse: Bool
    let weightIH: Parameter<Scalar>  // [G*H, I]
    let weightHH: Parameter<Scalar>  // [G*H, H]
    let biasIH: Parameter<Scalar>    // [G*H]
    let biasHH: Parameter<Scalar>    // [G*H]
    var engine: GEMMEngine = .fast
    /// How the time loops share their work among the compute threads.
    var split: TimeLoopSplit = .automatic
    /// Whether the last forward pass kept its record, so that `backward` may follow it.
    private var recorded = false
    #if DEBUG
    /// A deliberate mistake in the backward time loop (debug builds only, nil in every real run), so
    /// that tests can show the network-level gradient check catches errors in the production code.
    var injectedFault: InjectedBackwardFault?
    #endif

    private var steps = 0
    private var batch = 0
    private var input = LayerInput<Scalar>.dense(Tensor(shape: [0, 0, 0]))
    private var active: [Bool] = []  // [T, B] or empty when every row runs every step
    private let states = ScratchBuffer<Scalar>()
    private let cells = ScratchBuffer<Scalar>()
    private let gates = ScratchBuffer<Scalar>()
    private let extra = ScratchBuffer<Scalar>()
    private let hiddenGates = ScratchBuffer<Scalar>()  // LSTM, GRU forward: the step's h W_hh^T, [B, G*H]
    private let dGates = ScratchBuffer<Scalar>()
    private let dHiddenGates = ScratchBuffer<Scalar>()
    private let dh = ScratchBuffer<Scalar>()
    private let dc = ScratchBuffer<Scalar>()
    private let dhPrev = ScratchBuffer<Scalar>()
    private let dWeightTransposed = ScratchBuffer<Scalar>()  // [n, G*H], for narrow inputs
    private let biasSums = ScratchBuffer<Scalar>()  // [G*H]
    private let foldedBias = ScratchBuffer<Scalar>()  // [G*H]: b_ih + b_hh (GRU: b_ih), added by the gate kernels
    private let tokenRows = ScratchBuffer<Scalar>()  // [V, G*H]: table W_ih^T + b forward, S^T dGates backward
    /// Per concurrent share of a time loop, W_hh packed for its recurrent products (forward and backward).
    private var packedProducts: [PackedRecurrentWeights] = []

    init(cell: CellKind, inputSize: Int, hiddenSize: Int, reverse: Bool,
         weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>, biasHH: Tensor<Scalar>) {
        let gh = cell.gateCount * hiddenSize
        precondition(weightIH.shape == [gh, inputSize] && weightHH.shape == [gh, hiddenSize]
                     && biasIH.shape == [gh] && biasHH.shape == [gh],
                     "RecurrentLayer: parameter shapes do not match \(cell) I=\(inputSize) H=\(hiddenSize)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.reverse = reverse
        self.weightIH = Parameter(weightIH)
        self.weightHH = Parameter(weightHH)
        self.biasIH = Parameter(biasIH)
        self.biasHH = Parameter(biasHH)
    }

    private var gateWidth: Int { cell.gateCount * hiddenSize }

    /// Whether the time loop's product writes each step's `h W_hh^T` into `hiddenGates` over what was
    /// there (LSTM), rather than adding it to the bias rows there (GRU) or into the step's gate rows (RNN).
    private var recurrentPartApart: Bool { cell == .lstm }

    /// Whether the gate kernel reads a token layer's input part from `tokenRows` by id (LSTM), so that
    /// `projectInput` gathers nothing into `gates`.
    private var readsTokenTable: Bool { cell == .lstm }

    /// State slot holding the previous state of step t, and the slot receiving its new state.
    @inline(__always) private func slots(step t: Int) -> (previous: Int, current: Int) {
        reverse ? (t + 1, t) : (t, t + 1)
    }

    // MARK: Forward

    /// Runs the sequence.
    /// - x: `[T, B, I]` or token ids (`LayerInput`). h0, c0: `B H` scalars (c0 ignored unless LSTM).
    /// - active: `T B` flags (`t < length[b]`), or empty.
    /// - output: `T B H` scalars written (zero where inactive); hn, cn: `B H` final states.
    /// - recording: whether to keep what `backward` needs; false at inference (`RecurrentNetwork`'s
    ///   `recordsForBackward`), when the gate kernels write only the new state.
    @_specialize(where Scalar == Float)
    func forward(
        _ x: LayerInput<Scalar>, h0: UnsafePointer<Scalar>, c0: UnsafePointer<Scalar>?, active: [Bool],
        output: UnsafeMutablePointer<Scalar>, hn: UnsafeMutablePointer<Scalar>, cn: UnsafeMutablePointer<Scalar>?,
        recording: Bool
    ) {
        let T = x.steps, B = x.batch, H = hiddenSize, GH = gateWidth
        precondition(x.features == inputSize, "RecurrentLayer: expected \(inputSize) input features, got \(x.features)")
        steps = T
        batch = B
        input = x
        self.active = active
        recorded = recording
        let rows = T * B
        states.reserve((T + 1) * B * H)
        gates.reserve(rows * GH)
        switch cell {
        case .lstm:
            cells.reserve((T + 1) * B * H)
            if recorded { extra.reserve(rows * H) }
            hiddenGates.reserve(B * GH)
        case .gru:
            if recorded { extra.reserve(rows * GRUGates.cacheWidth * H) }
            hiddenGates.reserve(B * GH)
        case .rnnTanh, .rnnReLU:
            break
        }
        projectInput(x)
        foldedBias.reserve(GH)
        writeFoldedBias(into: foldedBias.pointer)
        reservePackedProducts()

        let first = reverse ? T : 0
        (states.pointer + first * B * H).update(from: h0, count: B * H)
        if cell == .lstm { (cells.pointer + first * B * H).update(from: c0!, count: B * H) }

        var tokenIDs: [Int] = []
        if case .tokens(let ids, _, _, _) = x, readsTokenTable { tokenIDs = ids }
        active.withUnsafeBufferPointer { activeBuffer in
            tokenIDs.withUnsafeBufferPointer { idBuffer in
                weightHH.value.withUnsafeBufferPointer { whh in
                    biasHH.value.withUnsafeBufferPointer { bhh in
                        let activeFlags = activeBuffer.isEmpty ? nil : activeBuffer.baseAddress!
                        let ids = idBuffer.isEmpty ? nil : idBuffer.baseAddress!
                        StepShare.run(split.resolved(hidden: H, bfloat16: engine == .bfloat16), batch: B, columns: GH) { share in
                            forwardSteps(share, active: activeFlags, tokenIDs: ids, whh: whh.baseAddress!, bhh: bhh.baseAddress!)
                        }
                    }
                }
            }
        }

        // The output of step t is its new state, or zero past the row's length (as PyTorch pads); the
        // steps shared among the threads (13 MB a layer at 64 x 100 x 512).
        let stateRows = states.pointer
        _ = ComputeThreads.forEachShare(count: T, minimumShare: max(1, 4096 / max(B * H, 1))) { _, stepShare in
            for t in stepShare {
                let destination = output + t * B * H
                destination.update(from: stateRows + slots(step: t).current * B * H, count: B * H)
                if !active.isEmpty {
                    for b in 0..<B where !active[t * B + b] {
                        (destination + b * H).update(repeating: 0, count: H)
                    }
                }
            }
        }
        let last = reverse ? 0 : T
        hn.update(from: states.pointer + last * B * H, count: B * H)
        if let cn, cell == .lstm { cn.update(from: cells.pointer + last * B * H, count: B * H) }
    }

    /// Fills `gates` with every step's input projection `XG[T*B, G*H]`: one `project` over all steps,
    /// or for token ids one over the table's V rows (`tokenRows`) and a gather. The LSTM's gate kernel
    /// reads the table's rows itself, so for it the gather is left out.
    @_specialize(where Scalar == Float)
    private func projectInput(_ x: LayerInput<Scalar>) {
        let GH = gateWidth
        switch x {
        case .dense(let xs):
            xs.withUnsafeBufferPointer { project($0.baseAddress!, rows: xs.shape[0] * xs.shape[1], into: gates.pointer, includingBias: false) }
        case .tokens(let ids, _, _, let table):
            let V = table.shape[0]
            tokenRows.reserve(V * GH)
            table.withUnsafeBufferPointer { project($0.baseAddress!, rows: V, into: tokenRows.pointer, includingBias: false) }
            guard !readsTokenTable else { return }
            let projected = tokenRows.pointer, target = gates.pointer
            ids.withUnsafeBufferPointer { idb in
                _ = ComputeThreads.forEachShare(count: idb.count, minimumShare: 64) { _, rows in
                    for r in rows { (target + r * GH).update(from: projected + idb[r] * GH, count: GH) }
                }
            }
        }
    }

    /// `target[rows, G*H] = input[rows, I] W_ih^T + b_ih` (+ b_hh too, for the cells that add the two
    /// projections; the GRU keeps b_hh inside `r * (W_hn h + b_hn)`): the input projection of `rows`
    /// input vectors, in one GEMM. The sampler projects an embedding table with it. Without
    /// `includingBias` the bias is left out (the time loop's gate kernels add it: `foldedBias`), which
    /// spares a pass that writes the bias into every row before the GEMM reads them again.
    @_specialize(where Scalar == Float)
    func project(_ input: UnsafePointer<Scalar>, rows: Int, into target: UnsafeMutablePointer<Scalar>, includingBias: Bool = true) {
        let GH = gateWidth, I = inputSize
        if includingBias {
            writeFoldedBias(into: target)
            ComputeThreads.forEachShare(count: rows - 1, minimumShare: 64) { _, share in
                for r in share { (target + (r + 1) * GH).update(from: target, count: GH) }
            }
        }
        weightIH.value.withUnsafeBufferPointer { wb in
            gemm(engine: engine, transB: true, m: rows, n: GH, k: I, a: input, lda: I,
                 b: wb.baseAddress!, ldb: I, beta: includingBias ? 1 : 0, c: target, ldc: GH)
        }
    }

    /// `b_ih + b_hh` (the GRU: `b_ih` alone) into `target[G*H]`: what the input projection's rows carry.
    private func writeFoldedBias(into target: UnsafeMutablePointer<Scalar>) {
        let foldHiddenBias = cell != .gru
        biasIH.value.withUnsafeBufferPointer { bih in
            biasHH.value.withUnsafeBufferPointer { bhh in
                for j in 0..<gateWidth { target[j] = foldHiddenBias ? bih[j] + bhh[j] : bih[j] }
            }
        }
    }

    /// The time loop of the forward pass: this thread's share of each step's recurrent product and of
    /// its gate kernel (see `TimeLoopSplit`).
    /// - tokenIDs: `T B` ids when the gate kernel reads its input part from `tokenRows` (see
    ///   `readsTokenTable`), else nil.
    @_specialize(where Scalar == Float)
    private func forwardSteps(_ share: StepShare, active: UnsafePointer<Bool>?, tokenIDs: UnsafePointer<Int>?,
                              whh: UnsafePointer<Scalar>, bhh: UnsafePointer<Scalar>) {
        let T = steps, B = batch, H = hiddenSize, GH = gateWidth
        let r0 = share.productRows.lowerBound, m = share.productRows.count
        let c0 = share.productColumns.lowerBound, columns = share.productColumns.count
        // B[H, columns] = (W_hh's rows c0 ..< c0 + columns)^T. The LSTM's product writes its own rows
        // (`hiddenGates`), which the gate kernel adds to the step's input part. The product runs 22%
        // faster than one adding into the step's rows of the large gate cache (bf16, 32 x 512 x 2048
        // per thread), though the kernel then reads those rows cold; a token layer's kernel reads its
        // input part from the projected table instead, and no gather fills the cache (section 17 of
        // docs/performance.md).
        let intoHiddenGates = recurrentPartApart || cell == .gru
        let packed = packedProduct(share, backward: false, m: m, n: columns, k: H, lda: H, ldc: GH, strideK: 1, strideN: H,
                                   accumulate: !recurrentPartApart, b: whh + c0 * H)
        // What the backward pass reads besides the states (LSTM: tanh c; GRU: r | z | n | h_n), or
        // nothing at inference.
        let cache = recorded ? extra.pointer : nil
        for k in 0..<T {
            let t = reverse ? T - 1 - k : k
            let (previous, current) = slots(step: t)
            // This thread's block of the recurrent product, into the step's gates (GRU: its own rows).
            let hg = hiddenGates.pointer
            if cell == .gru {
                for r in share.productRows { (hg + r * GH + c0).update(from: bhh + c0, count: columns) }
            }
            let a = states.pointer + (previous * B + r0) * H
            let c = (intoHiddenGates ? hg + r0 * GH : gates.pointer + (t * B + r0) * GH) + c0
            if let packed {
                packed.run(a: a, c: c)
            } else {
                gemm(engine: engine, transB: true, m: m, n: columns, k: H, a: a, lda: H, b: whh + c0 * H, ldb: H,
                     beta: recurrentPartApart ? 0 : 1, c: c, ldc: GH)
            }
            share.meet()
            share.forEachGateShare { rows in
                let b0 = rows.lowerBound, n = rows.count
                let hPrev = states.pointer + (previous * B + b0) * H
                let hNew = states.pointer + (current * B + b0) * H
                let stepGates = gates.pointer + (t * B + b0) * GH
                let stepActive = active.map { $0 + t * B + b0 }
                switch cell {
                case .lstm:
                    LSTMGates.forward(
                        gates: stepGates, table: tokenIDs == nil ? nil : UnsafePointer(tokenRows.pointer),
                        ids: tokenIDs.map { $0 + t * B + b0 }, hGates: hg + b0 * GH, bias: foldedBias.pointer,
                        cPrev: cells.pointer + (previous * B + b0) * H, hPrev: hPrev,
                        c: cells.pointer + (current * B + b0) * H, h: hNew, tanhC: cache.map { $0 + (t * B + b0) * H },
                        batch: n, hidden: H, active: stepActive)
                case .gru:
                    GRUGates.forward(
                        xGates: stepGates, xBias: foldedBias.pointer, hGates: hg + b0 * GH, hPrev: hPrev, h: hNew,
                        cache: cache.map { $0 + (t * B + b0) * GRUGates.cacheWidth * H },
                        batch: n, hidden: H, active: stepActive)
                case .rnnTanh, .rnnReLU:
                    RNNGates.forward(
                        preactivation: stepGates, bias: foldedBias.pointer, hPrev: hPrev, h: hNew, activation: cell.rnnActivation!,
                        batch: n, hidden: H, active: stepActive)
                }
            }
            share.meet()
        }
    }

    // MARK: Backward

    /// Back-propagates through the sequence of the last forward pass.
    /// - dOutput: `T B H`, dL/d(output) (ignored where inactive). dhn, dcn: `B H`, dL/d(final state).
    /// - dInput: `T B I` written. dh0, dc0: `B H` written.
    /// Parameter gradients are accumulated (added to).
    @_specialize(where Scalar == Float)
    func backward(
        dOutput: UnsafePointer<Scalar>, dhn: UnsafePointer<Scalar>, dcn: UnsafePointer<Scalar>?,
        dInput: UnsafeMutablePointer<Scalar>, dh0: UnsafeMutablePointer<Scalar>, dc0: UnsafeMutablePointer<Scalar>?
    ) {
        let T = steps, B = batch, H = hiddenSize, GH = gateWidth, rows = T * B
        precondition(recorded, "\(cell).backward: the last forward pass kept no record for it (recordsForBackward was false)")
        dGates.reserve(rows * GH)
        if cell == .gru { dHiddenGates.reserve(rows * GH) }
        dh.reserve(B * H)
        dc.reserve(B * H)
        dhPrev.reserve(B * H)
        dh.pointer.update(from: dhn, count: B * H)
        if cell == .lstm { dc.pointer.update(from: dcn!, count: B * H) }
        // For the RNN and the LSTM the gradients of the input and the recurrent pre-activations are equal.
        let dRecurrent = cell == .gru ? dHiddenGates.pointer : dGates.pointer

        active.withUnsafeBufferPointer { activeBuffer in
            weightHH.value.withUnsafeBufferPointer { whh in
                let activeFlags = activeBuffer.isEmpty ? nil : activeBuffer.baseAddress!
                reservePackedProducts()
                StepShare.run(split.resolved(hidden: H, bfloat16: engine == .bfloat16), batch: B, columns: H) { share in
                    backwardSteps(share, active: activeFlags, dOutput: dOutput, dRecurrent: dRecurrent,
                                  whh: whh.baseAddress!)
                }
            }
        }
        dh0.update(from: dh.pointer, count: B * H)
        if let dc0, cell == .lstm { dc0.update(from: dc.pointer, count: B * H) }

        // Whole-sequence products, one GEMM each (on the bf16 engine reading dGates rounded once).
        let previousStates = states.pointer + (reverse ? B * H : 0)  // slots of steps 0..<T, in step order
        let sequenceProducts = {
            self.backpropagateInput(self.input, dInput: dInput)
            self.weightHH.gradient.withUnsafeMutableBufferPointer { dw in
                // dW_hh[G*H, H] += dRecurrent^T[G*H, T*B] Hprev[T*B, H]
                self.accumulateWeightGradient(dw.baseAddress!, gradient: dRecurrent, input: previousStates, features: H, rows: rows)
            }
        }
        if engine == .bfloat16 && Scalar.self == Float.self {
            BFloat16Products.reusing(UnsafeRawPointer(dGates.pointer).assumingMemoryBound(to: Float.self), rows: rows, columns: GH, ld: GH, sequenceProducts)
        } else {
            sequenceProducts()
        }
        // The input-side bias's gradient is dGates' column sums; a token layer has them summed per token
        // already (`tokenRows`, V rows), and summing those V rows regroups the same sum without another
        // pass over the T*B rows.
        var inputGradient = (rows: rows, pointer: UnsafePointer(dGates.pointer))
        if case .tokens(_, _, _, let table) = input { inputGradient = (table.shape[0], UnsafePointer(tokenRows.pointer)) }
        biasIH.gradient.withUnsafeMutableBufferPointer { dbih in
            biasHH.gradient.withUnsafeMutableBufferPointer { dbhh in
                if dRecurrent == dGates.pointer {
                    // The two biases enter the same sum: their gradients are the same column sums.
                    biasSums.reserve(GH)
                    let sums = biasSums.pointer
                    sums.update(repeating: 0, count: GH)
                    addColumnSums(of: inputGradient.pointer, rows: inputGradient.rows, columns: GH, into: sums)
                    for j in 0..<GH {
                        dbih[j] += sums[j]
                        dbhh[j] += sums[j]
                    }
                } else {
                    addColumnSums(of: inputGradient.pointer, rows: inputGradient.rows, columns: GH, into: dbih.baseAddress!)
                    addColumnSums(of: dRecurrent, rows: rows, columns: GH, into: dbhh.baseAddress!)
                }
            }
        }
    }

    /// `dW[G*H, n] += gradient^T[G*H, rows] input[rows, n]`: a weight's gradient over every step at once.
    /// Where the input is narrow (n at most 512 and a quarter of G*H: an embedding, or the W_hh of an
    /// LSTM up to 512 units) the product is faster with the long side as its columns (oneDNN 2.6,
    /// measured in docs/performance.md: 4096x256x6400 63 GFLOP/s against 107 transposed, 2048x512x6400
    /// 124-157 against 211-228; 4096x1024x6400 the same either way), so this forms
    /// `dW^T[n, G*H] = input^T gradient` and adds its transpose. oneDNN's bf16 matmul runs the two forms
    /// about equally fast (2048x512x6400: section 16), so the bf16 engine multiplies directly and
    /// spares the transpose.
    @_specialize(where Scalar == Float)
    private func accumulateWeightGradient(_ dw: UnsafeMutablePointer<Scalar>, gradient: UnsafePointer<Scalar>,
                                          input: UnsafePointer<Scalar>, features n: Int, rows: Int) {
        let GH = gateWidth
        guard n * 4 <= GH && n <= 512 && engine != .bfloat16 else {
            gemm(engine: engine, transA: true, m: GH, n: n, k: rows, a: gradient, lda: GH,
                 b: input, ldb: n, beta: 1, c: dw, ldc: n)
            return
        }
        dWeightTransposed.reserve(n * GH)
        gemm(engine: engine, transA: true, m: n, n: GH, k: rows, a: input, lda: n,
             b: gradient, ldb: GH, c: dWeightTransposed.pointer, ldc: GH)
        addTransposed(dWeightTransposed.pointer, rows: n, columns: GH, into: dw)
    }

    /// dL/dW_ih (accumulated) and dL/d(input) (written: `T B I`, or `V I` for token ids) from `dGates`.
    @_specialize(where Scalar == Float)
    private func backpropagateInput(_ x: LayerInput<Scalar>, dInput: UnsafeMutablePointer<Scalar>) {
        let GH = gateWidth, I = inputSize
        switch x {
        case .dense(let xs):
            let rows = xs.shape[0] * xs.shape[1]
            xs.withUnsafeBufferPointer { xb in
                weightIH.gradient.withUnsafeMutableBufferPointer { dw in
                    // dW_ih[G*H, I] += dGates^T[G*H, T*B] X[T*B, I]
                    accumulateWeightGradient(dw.baseAddress!, gradient: dGates.pointer, input: xb.baseAddress!, features: I, rows: rows)
                }
            }
            weightIH.value.withUnsafeBufferPointer { wih in
                // dX[T*B, I] = dGates[T*B, G*H] W_ih[G*H, I]
                gemm(engine: engine, m: rows, n: I, k: GH, a: dGates.pointer, lda: GH,
                     b: wih.baseAddress!, ldb: I, c: dInput, ldc: I)
            }
        case .tokens(let ids, _, _, let table):
            // perToken[V, G*H] = S^T dGates: each thread sums its share of the columns over all rows, in
            // row order, so the sums do not depend on the thread count.
            let V = table.shape[0]
            tokenRows.reserve(V * GH)
            let perToken = tokenRows.pointer, dg = dGates.pointer
            perToken.update(repeating: 0, count: V * GH)
            ids.withUnsafeBufferPointer { idb in
                ComputeThreads.forEachBlockShare(count: GH, block: 8, minimumBlocks: 8) { columns in
                    for r in 0..<idb.count {
                        let source = dg + r * GH, target = perToken + idb[r] * GH
                        for j in columns { target[j] += source[j] }
                    }
                }
            }
            table.withUnsafeBufferPointer { tb in
                weightIH.gradient.withUnsafeMutableBufferPointer { dw in
                    // dW_ih[G*H, I] += perToken^T[G*H, V] table[V, I]
                    gemm(engine: engine, transA: true, m: GH, n: I, k: V, a: perToken, lda: GH,
                         b: tb.baseAddress!, ldb: I, beta: 1, c: dw.baseAddress!, ldc: I)
                }
            }
            weightIH.value.withUnsafeBufferPointer { wih in
                // dL/dtable[V, I] = perToken[V, G*H] W_ih[G*H, I]
                gemm(engine: engine, m: V, n: I, k: GH, a: perToken, lda: GH,
                     b: wih.baseAddress!, ldb: I, c: dInput, ldc: I)
            }
        }
    }

    /// The time loop of the backward pass: this thread's share of each step's gate kernel and of its
    /// recurrent product (see `forwardSteps`).
    @_specialize(where Scalar == Float)
    private func backwardSteps(_ share: StepShare, active: UnsafePointer<Bool>?, dOutput: UnsafePointer<Scalar>,
                               dRecurrent: UnsafeMutablePointer<Scalar>, whh: UnsafePointer<Scalar>) {
        let T = steps, B = batch, H = hiddenSize, GH = gateWidth
        let r0 = share.productRows.lowerBound, m = share.productRows.count
        let c0 = share.productColumns.lowerBound, columns = share.productColumns.count
        // B[G*H, columns] = W_hh's columns c0 ..< c0 + columns
        let packed = packedProduct(share, backward: true, m: m, n: columns, k: GH, lda: GH, ldc: H, strideK: H, strideN: 1,
                                   b: whh + c0)
        for k in stride(from: T - 1, through: 0, by: -1) {
            let t = reverse ? T - 1 - k : k
            #if DEBUG
            let stepSlots = slots(step: t)
            let (previous, current) = injectedFault == .stateSlotsSwapped ? (stepSlots.current, stepSlots.previous) : stepSlots
            #else
            let (previous, current) = slots(step: t)
            #endif
            share.forEachGateShare { rows in
                let b0 = rows.lowerBound, n = rows.count
                let stepActive = active.map { $0 + t * B + b0 }
                let dh = dh.pointer + b0 * H, dc = dc.pointer + b0 * H, dhPrev = dhPrev.pointer + b0 * H
                // dL/dh' = from the next step (in dh) + from this step's output.
                let dOut = dOutput + (t * B + b0) * H
                #if DEBUG
                let skipsOutput = injectedFault == .outputGradientDropped && k == 0
                #else
                let skipsOutput = false
                #endif
                for b in 0..<n where (stepActive?[b] ?? true) && !skipsOutput {
                    var j = b * H
                    while j < (b + 1) * H {
                        let count = min(8, (b + 1) * H - j)
                        store8(load8(dh + j, count: count) + load8(dOut + j, count: count), dh + j, count: count)
                        j += 8
                    }
                }
                let stepDGates = dGates.pointer + (t * B + b0) * GH
                switch cell {
                case .lstm:
                    LSTMGates.backward(
                        gates: gates.pointer + (t * B + b0) * GH, cPrev: cells.pointer + (previous * B + b0) * H,
                        tanhC: extra.pointer + (t * B + b0) * H, dh: dh, dc: dc,
                        dGates: stepDGates, dhPrevDirect: dhPrev, batch: n, hidden: H, active: stepActive)
                case .gru:
                    GRUGates.backward(
                        cache: extra.pointer + (t * B + b0) * GRUGates.cacheWidth * H,
                        hPrev: states.pointer + (previous * B + b0) * H, dh: dh,
                        dxGates: stepDGates, dhGates: dHiddenGates.pointer + (t * B + b0) * GH,
                        dhPrevDirect: dhPrev, batch: n, hidden: H, active: stepActive)
                case .rnnTanh, .rnnReLU:
                    RNNGates.backward(
                        h: states.pointer + (current * B + b0) * H, dh: dh, dPreactivation: stepDGates,
                        dhPrevDirect: dhPrev, activation: cell.rnnActivation!,
                        batch: n, hidden: H, active: stepActive)
                }
            }
            share.meet()
            // This thread's block of dL/dh = direct part + dRecurrent[B, G*H] W_hh[G*H, H].
            let a = dRecurrent + (t * B + r0) * GH, c = self.dhPrev.pointer + r0 * H + c0
            #if DEBUG
            if injectedFault == .recurrentWeightRowOffset {
                // Pairs dRecurrent's column j with W_hh's row j + 1.
                gemm(engine: engine, m: m, n: columns, k: GH - 1, a: a, lda: GH, b: whh + H + c0, ldb: H, beta: 1, c: c, ldc: H)
                for r in share.productRows { (self.dh.pointer + r * H + c0).update(from: self.dhPrev.pointer + r * H + c0, count: columns) }
                share.meet()
                continue
            }
            #endif
            if let packed {
                packed.run(a: a, c: c)
            } else {
                gemm(engine: engine, m: m, n: columns, k: GH, a: a, lda: GH, b: whh + c0, ldb: H, beta: 1, c: c, ldc: H)
            }
            for r in share.productRows {
                (self.dh.pointer + r * H + c0).update(from: self.dhPrev.pointer + r * H + c0, count: columns)
            }
            share.meet()
        }
    }

    // MARK: Packed recurrent weights

    /// Time loops at least this long multiply by W_hh packed once per loop (`PackedProduct`, where it
    /// keeps the weights packed): packing costs about one product, so shorter loops (the decoders'
    /// single steps) keep `gemm`.
    static var minimumStepsToPack: Int { 8 }

    /// One slot per compute thread, made before a time loop starts (each share then uses its own).
    private func reservePackedProducts() {
        while packedProducts.count < max(1, ComputeThreads.current) { packedProducts.append(PackedRecurrentWeights()) }
    }

    /// The share's product `C[m, n] += A[m, k] B[k, n]` (`C = A B` without `accumulate`) with `b` packed,
    /// or nil where `gemm` does it:
    /// Double, the reference engine, short loops, or a shape for which no product can be made or none
    /// spares work over `gemm` (`PackedProduct.sparesWorkPerCall`: a Float product that keeps B plain,
    /// oneDNN 2.6's `gemm:jit` where the panel kernel cannot stand in, is slower than `dnnl_sgemm`).
    private func packedProduct(_ share: StepShare, backward: Bool, m: Int, n: Int, k: Int, lda: Int, ldc: Int,
                               strideK: Int, strideN: Int, accumulate: Bool = true, b: UnsafePointer<Scalar>) -> PackedProduct? {
        guard Scalar.self == Float.self, engine != .reference, steps >= Self.minimumStepsToPack,
              share.index < packedProducts.count else { return nil }
        let slot = packedProducts[share.index]
        let bfloat16 = engine == .bfloat16
        let shape = [m, n, k, lda, ldc, strideK, strideN, bfloat16 ? 1 : 0, accumulate ? 1 : 0]
        guard !slot.declined.contains(shape) else { return nil }
        var product = backward ? slot.backward : slot.forward
        if !(product?.matches(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: strideK, strideN: strideN, bfloat16: bfloat16,
                              accumulate: accumulate) ?? false) {
            product = PackedProduct(m: m, n: n, k: k, lda: lda, ldc: ldc, strideK: strideK, strideN: strideN, bfloat16: bfloat16,
                                    accumulate: accumulate)
            if !(product?.sparesWorkPerCall ?? false) {
                // Neither made nor kept again for this shape (a plain product holds a copy of B).
                slot.declined.insert(shape)
                product = nil
            }
            if backward { slot.backward = product } else { slot.forward = product }
        }
        guard let product else { return nil }
        product.pack(UnsafeRawPointer(b).assumingMemoryBound(to: Float.self))
        return product
    }
}

/// A time-loop share's packed W_hh: one product for the forward loop, one for the backward loop.
final class PackedRecurrentWeights {
    var forward: PackedProduct?
    var backward: PackedProduct?
    /// The shapes (`m, n, k, lda, ldc, strideK, strideN, bf16, accumulate`) for which no product spares
    /// work here (`PackedProduct.sparesWorkPerCall`) or none can be made: `gemm` serves them.
    var declined: Set<[Int]> = []
}

extension PackedProduct {
    /// `C += A B` on a layer's scalars (Float: `packedProduct` makes products for Float layers only).
    @inline(__always)
    func run<Scalar>(a: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>) {
        run(a: UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self))
    }
}

#if DEBUG
/// The deliberate mistakes `RecurrentLayer.injectedFault` can make in the backward time loop.
enum InjectedBackwardFault: CaseIterable, Sendable {
    /// dL/dh through W_hh read one row of W_hh too far on.
    case recurrentWeightRowOffset
    /// The output's gradient at the last step processed is not added to dL/dh.
    case outputGradientDropped
    /// The gate kernel reads this step's state where the previous step's belongs, and the reverse.
    case stateSlotsSwapped
}
#endif

/// `target[c, r] += source[r, c]` for a row-major `[rows, columns]` source, in cache-sized tiles; the
/// compute threads each take a share of the target's rows.
@_specialize(where Scalar == Float)
func addTransposed<Scalar: RecurScalar>(
    _ source: UnsafePointer<Scalar>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Scalar>
) {
    let tile = 32
    ComputeThreads.forEachBlockShare(count: columns, block: tile, minimumBlocks: 64 * 1024 / (tile * max(rows, 1)) + 1) { share in
        for r0 in stride(from: 0, to: rows, by: tile) {
            for c0 in stride(from: share.lowerBound, to: share.upperBound, by: tile) {
                for c in c0..<min(c0 + tile, share.upperBound) {
                    for r in r0..<min(r0 + tile, rows) { target[c * rows + r] += source[r * columns + c] }
                }
            }
        }
    }
}
