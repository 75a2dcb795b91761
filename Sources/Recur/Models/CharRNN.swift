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

    public init(
        vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int = 1, cell: CellKind = .lstm,
        dropout: Double = 0, initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator
    ) {
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                              initialization: initialization, using: &generator)
        rnn = RecurrentNetwork(cell: cell, inputSize: embeddingSize, hiddenSize: hiddenSize, layers: layers,
                               dropout: dropout, initialization: initialization, using: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: vocabularySize, using: &generator)
        if initialization == .keras {
            head.weight.value = Initializer.glorotUniform(shape: head.weight.shape, using: &generator)
            head.bias?.value.zero()
        }
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
