import RecurCore

/// A stack of recurrent layers, each one- or two-directional, run over whole sequences: the common
/// body of `RNN`, `LSTM` and `GRU`.
///
/// Shape legend: T steps, B batch rows, I input features, H hidden units, L layers, D directions
/// (2 when bidirectional). Input `[T, B, I]` (time-major); output `[T, B, D*H]`, the last layer's
/// forward and backward outputs concatenated along the feature axis; states `[L*D, B, H]`.
///
/// Layer l > 0 reads the previous layer's `[T, B, D*H]` output; in training mode, dropout with
/// probability `dropout` is applied to every layer's output except the last (as PyTorch does).
///
/// Variable lengths: with `lengths[b] = n`, steps t >= n of row b do not change its state, its output
/// there is zero and receives no gradient, and its final state is the state after step n-1 (for the
/// reverse direction, the state after step 0, having started at step n-1).
///
/// Parameters carry PyTorch's names: `weight_ih_l{k}[_reverse]`, `weight_hh_l{k}[_reverse]`,
/// `bias_ih_l{k}[_reverse]`, `bias_hh_l{k}[_reverse]`, in PyTorch's order.
public class RecurrentNetwork<Scalar: RecurScalar>: Module {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    public let bidirectional: Bool
    /// The dropout probability between layers.
    public let dropout: Double
    /// Training mode applies dropout; evaluation mode does not.
    public var isTraining = true
    /// Whether forward passes keep what `backward` needs (true by default, in either mode, as PyTorch
    /// records in `eval()`). False is PyTorch's `torch.inference_mode()`: the gate kernels write only
    /// the new states, not the activations and caches of the backward pass, and `backward` after such
    /// a pass stops with a precondition failure.
    public var recordsForBackward = true
    /// The generator of dropout masks.
    public var generator: RandomGenerator
    /// The GEMM engine of every layer.
    public var engine: GEMMEngine = .fast {
        didSet { for layer in layers.joined() { layer.engine = engine } }
    }

    /// How every layer's time loop shares its work among the compute threads (`TimeLoopSplit`).
    public var timeLoopSplit: TimeLoopSplit = .automatic {
        didSet { for layer in layers.joined() { layer.split = timeLoopSplit } }
    }

    let layers: [[RecurrentLayer<Scalar>]]  // [layer][direction]
    private let dropouts: [Dropout<Scalar>]  // one after each layer but the last
    private var layerInputs: [LayerInput<Scalar>] = []
    private var lastShape: (steps: Int, batch: Int)?
    /// After `forward(tokens:...)` over a vocabulary larger than the batch: the ids and the table's
    /// shape, so that `backward` turns dL/dx into dL/d(table).
    private var embeddedTokens: (ids: [Int], shape: [Int])?
    private var scratch = [ScratchBuffer<Scalar>]()  // per-direction output, gradient rows

    /// The number of directions, D.
    public var directionCount: Int { bidirectional ? 2 : 1 }

    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
        dropout: Double = 0, initialization: WeightInitialization = .pytorch,
        using generator: inout RandomGenerator
    ) {
        precondition(inputSize > 0, "\(cell): expected a positive inputSize, got \(inputSize)")
        precondition(hiddenSize > 0, "\(cell): expected a positive hiddenSize, got \(hiddenSize)")
        precondition(layers > 0, "\(cell): expected at least one layer, got \(layers)")
        precondition(dropout >= 0 && dropout < 1, "\(cell): expected dropout in [0, 1), got \(dropout)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        let directions = bidirectional ? 2 : 1
        var stack: [[RecurrentLayer<Scalar>]] = []
        for l in 0..<layers {
            let layerInput = l == 0 ? inputSize : directions * hiddenSize
            stack.append((0..<directions).map { d in
                let p = RecurrentNetwork.initialParameters(
                    cell: cell, inputSize: layerInput, hiddenSize: hiddenSize,
                    initialization: initialization, using: &generator)
                return RecurrentLayer(cell: cell, inputSize: layerInput, hiddenSize: hiddenSize, reverse: d == 1,
                                      weightIH: p.weightIH, weightHH: p.weightHH, biasIH: p.biasIH, biasHH: p.biasHH)
            })
        }
        self.layers = stack
        self.dropouts = (0..<(layers - 1)).map { _ in Dropout(probability: dropout) }
        self.generator = RandomGenerator(seed: generator.next())
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var named: [(name: String, parameter: Parameter<Scalar>)] = []
        for (l, directions) in layers.enumerated() {
            for (d, layer) in directions.enumerated() {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                named += [("weight_ih" + suffix, layer.weightIH), ("weight_hh" + suffix, layer.weightHH),
                          ("bias_ih" + suffix, layer.biasIH), ("bias_hh" + suffix, layer.biasHH)]
            }
        }
        return named
    }

    /// Keras's and TensorFlow's layout: one bias per gate instead of PyTorch's two. Every `bias_hh`
    /// is set to zero and frozen (`Parameter.isFrozen`), so `bias_ih` alone is the bias and is
    /// trained as Keras trains its one (two trained biases would take two optimiser steps per step).
    /// The GRU's `b_hn` sits inside the reset gate's product, where Keras's `reset_after` GRU keeps a
    /// second bias: this is for the RNN and the LSTM.
    public func keepOneBias() {
        precondition(cell != .gru, "\(cell): a GRU's recurrent bias is not a second copy of the input bias")
        for directions in layers {
            for layer in directions {
                layer.biasHH.value.zero()
                layer.biasHH.isFrozen = true
            }
        }
    }

    /// `L * D`, the first extent of the state tensors.
    public var stateCount: Int { layerCount * directionCount }

    /// An all-zero initial state for `batch` rows.
    public func zeroState(batch: Int) -> RecurrentState<Scalar> {
        .zeros(stateCount: stateCount, batch: batch, hidden: hiddenSize, withCell: cell.hasCellState)
    }

    // MARK: Forward

    /// Runs every layer over the sequence.
    /// - Parameters:
    ///   - x: `[T, B, I]`.
    ///   - initialState: `h0` (and `c0`) `[L*D, B, H]`; zeros when nil.
    ///   - lengths: B sequence lengths in 0...T; nil means all T.
    /// - Returns: the output `[T, B, D*H]` and the final state `[L*D, B, H]`.
    public func forward(
        _ x: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil
    ) -> (output: Tensor<Scalar>, finalState: RecurrentState<Scalar>) {
        precondition(x.rank == 3 && x.shape[2] == inputSize,
                     "\(cell): expected input [T, B, \(inputSize)], got \(x.shape)")
        embeddedTokens = nil
        return forward(.dense(x), initialState: initialState, lengths: lengths)
    }

    /// Runs every layer over the embedded sequence `embedding.forward(ids, shape: [steps, batch])`
    /// without forming it: the first layer gathers its input projection by id (`LayerInput`). Equal to
    /// that call followed by `forward(_:)`; `backward` then returns dL/d(embedding table) `[V, E]` as
    /// the input gradient (nothing is added to the embedding's gradient).
    public func forward(
        tokens ids: [Int], steps: Int, batch: Int, embedding: Embedding<Scalar>,
        initialState: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil
    ) -> (output: Tensor<Scalar>, finalState: RecurrentState<Scalar>) {
        precondition(embedding.embeddingSize == inputSize,
                     "\(cell): expected an embedding of \(inputSize) features, got \(embedding.embeddingSize)")
        // The table's V rows are worth projecting once only when there are fewer of them than the
        // batch's T*B tokens (a character vocabulary); a word vocabulary is embedded row by row.
        if embedding.vocabularySize > steps * batch {
            embeddedTokens = (ids, embedding.weight.shape)
            return forward(.dense(embedding.forward(ids, shape: [steps, batch])), initialState: initialState, lengths: lengths)
        }
        embeddedTokens = nil
        return forward(embedding.tokens(ids, steps: steps, batch: batch), initialState: initialState, lengths: lengths)
    }

    @_specialize(where Scalar == Float)
    func forward(
        _ x: LayerInput<Scalar>, initialState: RecurrentState<Scalar>?, lengths: [Int]?
    ) -> (output: Tensor<Scalar>, finalState: RecurrentState<Scalar>) {
        let T = x.steps, B = x.batch, H = hiddenSize, D = directionCount
        precondition(T > 0 && B > 0, "\(cell): expected at least one step and one row, got \(T) steps of \(B) rows")
        let state = initialState ?? zeroState(batch: B)
        precondition(state.h.shape == [stateCount, B, H],
                     "\(cell): expected h0 of shape \([stateCount, B, H]), got \(state.h.shape)")
        precondition(!cell.hasCellState || state.c?.shape == [stateCount, B, H],
                     "\(cell): expected c0 of shape \([stateCount, B, H]), got \(state.c?.shape ?? [])")
        var active: [Bool] = []
        if let lengths {
            precondition(lengths.count == B, "\(cell): expected \(B) lengths, got \(lengths.count)")
            precondition(lengths.allSatisfy { $0 >= 0 && $0 <= T },
                         "\(cell): expected lengths in 0...\(T), got \(lengths)")
            if lengths.contains(where: { $0 < T }) {
                active = (0..<(T * B)).map { i in i / B < lengths[i % B] }
            }
        }
        lastShape = (T, B)
        layerInputs = []
        var finalH = Tensor<Scalar>(shape: [stateCount, B, H])
        var finalC: Tensor<Scalar>? = cell.hasCellState ? Tensor(shape: [stateCount, B, H]) : nil
        let directionOutput = ScratchBuffer<Scalar>(count: D > 1 ? T * B * H : 0)
        var current = x
        var output = Tensor<Scalar>(shape: [0])
        for (l, directions) in layers.enumerated() {
            layerInputs.append(current)
            // One direction writes every step of every row (zeros where inactive); two copy theirs in.
            output = Tensor<Scalar>(uninitializedShape: [T, B, D * H])
            for (d, layer) in directions.enumerated() {
                let s = l * D + d
                output.withUnsafeMutableBufferPointer { out in
                    // One direction writes the output in place; two write theirs side by side.
                    let target = D == 1 ? out.baseAddress! : directionOutput.pointer
                    state.h.withUnsafeBufferPointer { h0 in
                        finalH.withUnsafeMutableBufferPointer { hn in
                            let c0 = state.c?.withUnsafeBufferPointer { $0.baseAddress! + s * B * H }
                            let cn = finalC?.withUnsafeMutableBufferPointer { $0.baseAddress! + s * B * H }
                            layer.forward(current, h0: h0.baseAddress! + s * B * H, c0: c0, active: active,
                                          output: target, hn: hn.baseAddress! + s * B * H, cn: cn, recording: recordsForBackward)
                        }
                    }
                    if D > 1 {
                        for row in 0..<(T * B) {
                            (out.baseAddress! + row * D * H + d * H).update(from: directionOutput.pointer + row * H, count: H)
                        }
                    }
                }
            }
            if l < layerCount - 1 {
                dropouts[l].forward(&output, training: isTraining, using: &generator)
            }
            current = .dense(output)
        }
        return (output, RecurrentState(h: finalH, c: finalC))
    }

    // MARK: Backward

    /// Back-propagates through the last forward pass, accumulating every parameter's gradient.
    /// - Parameters:
    ///   - outputGradient: dL/d(output) `[T, B, D*H]`.
    ///   - finalStateGradient: dL/d(final state) `[L*D, B, H]`; zero when nil.
    /// - Returns: dL/dx `[T, B, I]` (after `forward(tokens:...)`, dL/d(embedding table) `[V, E]`) and
    ///   dL/d(initial state) `[L*D, B, H]`.
    @_specialize(where Scalar == Float)
    public func backward(
        outputGradient: Tensor<Scalar>, finalStateGradient: RecurrentState<Scalar>? = nil
    ) -> (inputGradient: Tensor<Scalar>, initialStateGradient: RecurrentState<Scalar>) {
        guard let (T, B) = lastShape else { preconditionFailure("\(cell).backward: call forward first") }
        let H = hiddenSize, D = directionCount
        precondition(outputGradient.shape == [T, B, D * H],
                     "\(cell).backward: expected gradient [\(T), \(B), \(D * H)], got \(outputGradient.shape)")
        let dState = finalStateGradient ?? zeroState(batch: B)
        precondition(dState.h.shape == [stateCount, B, H] && (!cell.hasCellState || dState.c?.shape == [stateCount, B, H]),
                     "\(cell).backward: expected state gradients of shape \([stateCount, B, H])")
        var dh0 = Tensor<Scalar>(shape: [stateCount, B, H])
        var dc0: Tensor<Scalar>? = cell.hasCellState ? Tensor(shape: [stateCount, B, H]) : nil
        let directionGradient = ScratchBuffer<Scalar>(count: D > 1 ? T * B * H : 0)
        var dCurrent = outputGradient
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            if l < layerCount - 1 { dropouts[l].backward(&dCurrent) }
            let layerInput = layerInputs[l]
            // One direction writes all of dL/d(input); two add their parts to zeros.
            var dInput = D == 1 ? Tensor<Scalar>(uninitializedShape: layerInput.gradientShape)
                                : Tensor<Scalar>(shape: layerInput.gradientShape)
            // One direction reads its output gradient and writes dL/d(input) in place; two take their
            // halves of the first and add their parts of the second.
            let dInputDirection = ScratchBuffer<Scalar>(count: D > 1 ? dInput.count : 0)
            for (d, layer) in layers[l].enumerated() {
                let s = l * D + d
                dCurrent.withUnsafeBufferPointer { dOut in
                    if D > 1 {
                        for row in 0..<(T * B) {
                            (directionGradient.pointer + row * H).update(from: dOut.baseAddress! + row * D * H + d * H, count: H)
                        }
                    }
                    dInput.withUnsafeMutableBufferPointer { di in
                        dState.h.withUnsafeBufferPointer { dhn in
                            dh0.withUnsafeMutableBufferPointer { dh0b in
                                let dcn = dState.c?.withUnsafeBufferPointer { $0.baseAddress! + s * B * H }
                                let dc0p = dc0?.withUnsafeMutableBufferPointer { $0.baseAddress! + s * B * H }
                                layer.backward(dOutput: D > 1 ? UnsafePointer(directionGradient.pointer) : dOut.baseAddress!,
                                               dhn: dhn.baseAddress! + s * B * H, dcn: dcn,
                                               dInput: D > 1 ? dInputDirection.pointer : di.baseAddress!,
                                               dh0: dh0b.baseAddress! + s * B * H, dc0: dc0p)
                            }
                        }
                        if D > 1 {
                            for i in 0..<di.count { di[i] += dInputDirection.pointer[i] }
                        }
                    }
                }
            }
            dCurrent = dInput
        }
        if let (ids, shape) = embeddedTokens {
            // dL/d(table): each token's row of dL/dx added to its id's row.
            var dTable = Tensor<Scalar>(shape: shape)
            let E = shape[1]
            dCurrent.withUnsafeBufferPointer { dx in
                dTable.withUnsafeMutableBufferPointer { dt in
                    for (position, id) in ids.enumerated() {
                        for j in 0..<E { dt[id * E + j] += dx[position * E + j] }
                    }
                }
            }
            return (dTable, RecurrentState(h: dh0, c: dc0))
        }
        return (dCurrent, RecurrentState(h: dh0, c: dc0))
    }

    // MARK: Initialisation

    static func initialParameters(
        cell: CellKind, inputSize: Int, hiddenSize: Int, initialization: WeightInitialization,
        using generator: inout RandomGenerator
    ) -> (weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>, biasHH: Tensor<Scalar>) {
        let gh = cell.gateCount * hiddenSize
        switch initialization {
        case .pytorch:
            // Every tensor uniform in ±1/sqrt(H), in PyTorch's order of creation.
            let bound = 1 / Scalar(hiddenSize).squareRoot()
            let wih = Initializer.uniform(shape: [gh, inputSize], bound: bound, using: &generator)
            let whh = Initializer.uniform(shape: [gh, hiddenSize], bound: bound, using: &generator)
            let bih = Initializer.uniform(shape: [gh], bound: bound, using: &generator)
            let bhh = Initializer.uniform(shape: [gh], bound: bound, using: &generator)
            return (wih, whh, bih, bhh)
        case .keras, .kerasGlorot:
            let wih: Tensor<Scalar> = Initializer.glorotUniform(shape: [gh, inputSize], using: &generator)
            let whh: Tensor<Scalar> = initialization == .keras ? Initializer.orthogonal(shape: [gh, hiddenSize], using: &generator)
                : Initializer.glorotUniform(shape: [gh, hiddenSize], using: &generator)
            var bih = Tensor<Scalar>(shape: [gh])
            if cell == .lstm {
                for j in 0..<hiddenSize { bih[flat: CellKind.lstmForgetGate * hiddenSize + j] = 1 }
            }
            return (wih, whh, bih, Tensor(shape: [gh]))
        }
    }
}
