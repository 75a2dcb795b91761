import RecurCore

/// A character-level language model: Embedding -> recurrent network -> Linear, predicting the next
/// symbol at every step.
///
/// Shapes: ids `[T, B]` (time-major) -> embedded `[T, B, E]` -> hidden `[T, B, D*H]` -> logits
/// `[T, B, V]`. Parameter names are those of the equivalent PyTorch module:
/// `embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`.
public final class CharRNN<Scalar: RecurScalar>: Module {
    public let embedding: Embedding<Scalar>
    public let rnn: RecurrentNetwork<Scalar>
    public let head: Linear<Scalar>
    /// The configuration it was built from, when built by `init(configuration:using:)`.
    var configurationStorage: CharRNNConfiguration?

    public init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int = 1, cell: CellKind = .lstm,
        dropout: Double = 0, initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator
    ) {
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                              initialization: initialization, using: &generator)
        rnn = RecurrentNetwork(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers,
                               dropout: dropout, initialization: initialization, using: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: vocabularySize, initialization: initialization, using: &generator)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        embedding.namedParameters.map { ("embedding." + $0.name, $0.parameter) }
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
            + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    public var vocabularySize: Int { embedding.vocabularySize }

    /// Training mode (dropout on) or evaluation mode.
    public var isTraining: Bool {
        get { rnn.isTraining }
        set { rnn.isTraining = newValue }
    }

    /// Logits `[T, B, V]` for ids `[T * B]` (time-major), and the final state.
    public func forward(
        _ ids: [Int], steps: Int, batch: Int, state: RecurrentState<Scalar>? = nil
    ) -> (logits: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        let (hidden, final) = rnn.forward(tokens: ids, steps: steps, batch: batch, embedding: embedding, initialState: state)
        return (head.forward(hidden), final)
    }

    /// Back-propagates dL/dlogits through the last forward pass, accumulating every gradient. The
    /// gradient stops at the initial state: what came before this chunk is not trained through
    /// (truncated BPTT).
    public func backward(logitsGradient: Tensor<Scalar>) {
        let (dTable, _) = rnn.backward(outputGradient: head.backward(logitsGradient))
        embedding.accumulate(weightGradient: dTable)
    }
}

extension CharRNN: RecurModel where Scalar == Float {
    public static var task: String { "lm" }

    /// One truncated-BPTT batch: ids and next-symbol targets `[T * B]` (time-major), and the state
    /// carried in (nil: zero).
    public struct Batch {
        public var inputs: [Int]
        public var targets: [Int]
        public var steps: Int
        public var batch: Int
        public var state: RecurrentState<Float>?

        public init(inputs: [Int], targets: [Int], steps: Int, batch: Int, state: RecurrentState<Float>? = nil) {
            self.inputs = inputs
            self.targets = targets
            self.steps = steps
            self.batch = batch
            self.state = state
        }
    }

    public convenience init(configuration c: CharRNNConfiguration, using generator: inout RandomGenerator) {
        self.init(vocabularySize: c.vocabulary.count, embeddingSize: c.embeddingSize, hiddenSize: c.hiddenSize,
                  layers: c.layers, cell: c.cell, dropout: c.dropout, initialization: c.initialization, using: &generator)
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

    public func lossAndGradients(_ batch: Batch) -> (loss: Double, count: Int) {
        let (logits, _) = forward(batch.inputs, steps: batch.steps, batch: batch.batch, state: batch.state)
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: batch.targets)
        backward(logitsGradient: dLogits)
        return (loss, batch.inputs.count)
    }
}
