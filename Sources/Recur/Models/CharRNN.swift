import RecurCore

/// A character-level language model: Embedding -> recurrent network -> Linear, predicting the next
/// symbol at every step; optionally conditioned (one-to-many generation).
///
/// Shapes: ids `[T, B]` (time-major) -> embedded `[T, B, E]` -> hidden `[T, B, D*H]` -> logits
/// `[T, B, V]`. Parameter names are those of the equivalent PyTorch module:
/// `embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`, and for a conditioned
/// model `condition.weight`, `condition.bias`.
///
/// Conditioning: each row's condition vector `c [F]` sets the initial state through a learned linear
/// map, `s = W c + b` with `W [S, F]`, `S = L*H` (h of layers 0..L-1) or `2*L*H` for the LSTM (then
/// c of layers 0..L-1): `h0[l] = s[l*H ..< (l+1)*H]`, `c0[l] = s[L*H + l*H ..< L*H + (l+1)*H]`. With
/// `conditionEveryStep`, `c` is also concatenated after the embedding at every step (the first layer
/// reads `E + F` features). The gradient flows from the loss back into `W` and `b`.
public final class CharRNN<Scalar: RecurScalar>: Module, ModelModes {
    public let embedding: Embedding<Scalar>
    public let rnn: RecurrentNetwork<Scalar>
    public let head: Linear<Scalar>
    /// The condition-to-initial-state map (a conditioned model), `[F] -> [S]`.
    public let condition: Linear<Scalar>?
    /// Whether the condition is also part of every step's input.
    public let conditionEveryStep: Bool
    /// The configuration it was built from, when built by `init(configuration:using:)`.
    var configurationStorage: CharRNNConfiguration?
    /// The condition vectors `[B, F]` of the last forward pass, when it had them.
    private var lastConditions: Tensor<Scalar>?

    public init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int = 1, cell: CellKind = .lstm,
        dropout: Double = 0, initialization: WeightInitialization = .pytorch, conditionWidth: Int? = nil,
        conditionEveryStep: Bool = false, using generator: inout RandomGenerator
    ) {
        precondition(!conditionEveryStep || conditionWidth != nil, "CharRNN: conditionEveryStep needs a condition width")
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                              initialization: initialization, using: &generator)
        let inputSize = embeddingSize + (conditionEveryStep ? conditionWidth! : 0)
        rnn = RecurrentNetwork(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers,
                               dropout: dropout, initialization: initialization, using: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: vocabularySize, initialization: initialization, using: &generator)
        condition = conditionWidth.map { width in
            Linear(inputSize: width, outputSize: layers * hiddenSize * (cell.hasCellState ? 2 : 1),
                   initialization: initialization, using: &generator)
        }
        self.conditionEveryStep = conditionEveryStep
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        embedding.namedParameters.map { ("embedding." + $0.name, $0.parameter) }
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
            + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
            + (condition?.namedParameters.map { ("condition." + $0.name, $0.parameter) } ?? [])
    }

    public var vocabularySize: Int { embedding.vocabularySize }

    /// Training mode (dropout on) or evaluation mode.
    public var isTraining: Bool {
        get { rnn.isTraining }
        set { rnn.isTraining = newValue }
    }

    /// Whether forward passes keep what the backward pass needs (`RecurrentNetwork.recordsForBackward`).
    public var recordsForBackward: Bool {
        get { rnn.recordsForBackward }
        set { rnn.recordsForBackward = newValue }
    }

    /// Every GEMM of the model on one engine (tests compare them; `.bfloat16` multiplies in bf16).
    public var engine: GEMMEngine {
        get { head.engine }
        set {
            rnn.engine = newValue
            head.engine = newValue
            condition?.engine = newValue
        }
    }

    /// Logits `[T, B, V]` for ids `[T * B]` (time-major), and the final state.
    /// - Parameters:
    ///   - ids: the symbols `[T * B]`, time-major.
    ///   - steps: T.
    ///   - batch: B.
    ///   - state: the state carried in (zero when nil); not with `conditions`.
    ///   - lengths: B sequence lengths (nil: every row runs all T steps).
    ///   - conditions: `[B, F]` condition vectors of a conditioned model: they set the initial state.
    public func forward(
        _ ids: [Int], steps: Int, batch: Int, state: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil,
        conditions: Tensor<Scalar>? = nil
    ) -> (logits: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        precondition((conditions != nil) == (condition != nil), "CharRNN: a conditioned model needs conditions, and only it takes them")
        lastConditions = conditions
        var initial = state
        if let conditions {
            precondition(state == nil && conditions.shape == [batch, condition!.inputSize],
                         "CharRNN: expected conditions [\(batch), \(condition!.inputSize)] and no carried state, got \(conditions.shape)")
            initial = initialState(condition!.forward(conditions), batch: batch)
        }
        let (hidden, final): (Tensor<Scalar>, RecurrentState<Scalar>)
        if conditionEveryStep, let conditions {
            let E = embedding.embeddingSize, F = conditions.shape[1]
            let embedded = embedding.forward(ids, shape: [steps, batch])
            var x = Tensor<Scalar>(shape: [steps, batch, E + F])
            x.withUnsafeMutableBufferPointer { xb in
                embedded.withUnsafeBufferPointer { eb in
                    conditions.withUnsafeBufferPointer { cb in
                        for row in 0..<(steps * batch) {
                            (xb.baseAddress! + row * (E + F)).update(from: eb.baseAddress! + row * E, count: E)
                            (xb.baseAddress! + row * (E + F) + E).update(from: cb.baseAddress! + (row % batch) * F, count: F)
                        }
                    }
                }
            }
            (hidden, final) = rnn.forward(x, initialState: initial, lengths: lengths)
        } else {
            (hidden, final) = rnn.forward(tokens: ids, steps: steps, batch: batch, embedding: embedding, initialState: initial, lengths: lengths)
        }
        return (head.forward(hidden), final)
    }

    /// The initial state of the condition map's output `[B, S]`: h of every layer, then c (LSTM).
    private func initialState(_ s: Tensor<Scalar>, batch B: Int) -> RecurrentState<Scalar> {
        let L = rnn.layerCount, H = rnn.hiddenSize, S = s.shape[1]
        var state = rnn.zeroState(batch: B)
        s.withUnsafeBufferPointer { sb in
            state.h.withUnsafeMutableBufferPointer { h in
                for l in 0..<L { for b in 0..<B { (h.baseAddress! + (l * B + b) * H).update(from: sb.baseAddress! + b * S + l * H, count: H) } }
            }
            state.c?.withUnsafeMutableBufferPointer { c in
                for l in 0..<L { for b in 0..<B { (c.baseAddress! + (l * B + b) * H).update(from: sb.baseAddress! + b * S + (L + l) * H, count: H) } }
            }
        }
        return state
    }

    /// Back-propagates dL/dlogits through the last forward pass, accumulating every gradient. Without
    /// conditions the gradient stops at the initial state: what came before this chunk is not trained
    /// through (truncated BPTT); with them it flows on into the condition map.
    public func backward(logitsGradient: Tensor<Scalar>) {
        let (dInput, dInitial) = rnn.backward(outputGradient: head.backward(logitsGradient))
        guard let conditions = lastConditions else {
            embedding.accumulate(weightGradient: dInput)
            return
        }
        if conditionEveryStep {
            // dL/d(embedded) is the first E columns of dL/dx; the condition's columns are data.
            let E = embedding.embeddingSize, W = dInput.shape[2], rows = dInput.shape[0] * dInput.shape[1]
            var dEmbedded = Tensor<Scalar>(shape: [dInput.shape[0], dInput.shape[1], E])
            dInput.withUnsafeBufferPointer { di in
                dEmbedded.withUnsafeMutableBufferPointer { de in
                    for row in 0..<rows { (de.baseAddress! + row * E).update(from: di.baseAddress! + row * W, count: E) }
                }
            }
            embedding.backward(dEmbedded)
        } else {
            embedding.accumulate(weightGradient: dInput)
        }
        let L = rnn.layerCount, H = rnn.hiddenSize, B = conditions.shape[0], S = condition!.outputSize
        var dS = Tensor<Scalar>(shape: [B, S])
        dS.withUnsafeMutableBufferPointer { ds in
            dInitial.h.withUnsafeBufferPointer { h in
                for l in 0..<L { for b in 0..<B { (ds.baseAddress! + b * S + l * H).update(from: h.baseAddress! + (l * B + b) * H, count: H) } }
            }
            dInitial.c?.withUnsafeBufferPointer { c in
                for l in 0..<L { for b in 0..<B { (ds.baseAddress! + b * S + (L + l) * H).update(from: c.baseAddress! + (l * B + b) * H, count: H) } }
            }
        }
        _ = condition!.backward(dS)
    }
}

extension CharRNN: RecurModel where Scalar == Float {
    public static var task: String { "lm" }

    /// One batch: ids and next-symbol targets `[T * B]` (time-major), and either the state carried in
    /// (truncated BPTT; nil: zero) or, for independent sequences, per-row lengths (steps past a
    /// row's length count for nothing) and the rows' condition vectors `[B, F]` (a conditioned model).
    public struct Batch {
        public var inputs: [Int]
        public var targets: [Int]
        public var steps: Int
        public var batch: Int
        public var state: RecurrentState<Float>?
        public var lengths: [Int]?
        public var conditions: Tensor<Float>?

        public init(inputs: [Int], targets: [Int], steps: Int, batch: Int, state: RecurrentState<Float>? = nil,
                    lengths: [Int]? = nil, conditions: Tensor<Float>? = nil) {
            self.inputs = inputs
            self.targets = targets
            self.steps = steps
            self.batch = batch
            self.state = state
            self.lengths = lengths
            self.conditions = conditions
        }

        /// Which of the T*B positions count (time-major), or nil when all do.
        public var mask: [Bool]? {
            guard let lengths, lengths.contains(where: { $0 < steps }) else { return nil }
            return (0..<(steps * batch)).map { $0 / batch < lengths[$0 % batch] }
        }
    }

    public convenience init(configuration c: CharRNNConfiguration, using generator: inout RandomGenerator) {
        self.init(vocabularySize: c.vocabulary.count, embeddingSize: c.embeddingSize, hiddenSize: c.hiddenSize,
                  layers: c.layers, cell: c.cell, dropout: c.dropout, initialization: c.initialization,
                  conditionWidth: c.condition?.width, conditionEveryStep: c.conditionEveryStep, using: &generator)
        configurationStorage = c
    }

    public var configuration: CharRNNConfiguration {
        guard let configurationStorage else {
            preconditionFailure("CharRNN: built without a configuration; build it with init(configuration:using:)")
        }
        return configurationStorage
    }

    public var dropoutGenerator: RandomGenerator {
        get { rnn.generator }
        set { rnn.generator = newValue }
    }

    /// Mean cross-entropy over the batch's real positions, and its gradients.
    public func lossAndGradients(_ batch: Batch) -> (loss: Double, count: Int) {
        let (logits, _) = forward(batch.inputs, steps: batch.steps, batch: batch.batch, state: batch.state,
                                  lengths: batch.lengths, conditions: batch.conditions)
        let mask = batch.mask
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: batch.targets, mask: mask)
        backward(logitsGradient: dLogits)
        return (loss, mask?.filter { $0 }.count ?? batch.inputs.count)
    }
}
