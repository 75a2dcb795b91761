import RecurCore

/// What a sequence classifier reads at each step.
public enum SequenceInput: Codable, Equatable, Sendable {
    /// Token ids in `0..<vocabularySize`, embedded into `embeddingSize` features.
    case tokens(vocabularySize: Int, embeddingSize: Int)
    /// `features` numbers per step (already normalised by the caller).
    case features(Int)

    /// The recurrent network's input width.
    public var width: Int {
        switch self {
        case let .tokens(_, embeddingSize): return embeddingSize
        case let .features(count): return count
        }
    }
}

/// The sizes and choices that define a `SequenceClassifier`.
public struct SequenceClassifierConfiguration: Codable, Equatable, Sendable {
    public var input: SequenceInput
    public var cell: CellKind
    public var layers: Int
    public var hiddenSize: Int
    public var bidirectional: Bool
    public var dropout: Double
    public var pooling: PoolingKind
    public var classCount: Int
    public var initialization: WeightInitialization

    public init(input: SequenceInput, cell: CellKind = .lstm, layers: Int = 1, hiddenSize: Int,
                bidirectional: Bool = false, dropout: Double = 0, pooling: PoolingKind = .last, classCount: Int,
                initialization: WeightInitialization = .pytorch) {
        self.input = input
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.classCount = classCount
        self.initialization = initialization
    }

    public func makeModel<Scalar: RecurScalar>(using generator: inout RandomGenerator) -> SequenceClassifier<Scalar> {
        SequenceClassifier(self, using: &generator)
    }
}

/// Many-to-one: a whole sequence in, one class out.
///
/// tokens `[T, B]` -> embedding `[T, B, E]` (or features `[T, B, F]`) -> stacked, optionally
/// bidirectional recurrent network `[T, B, D*H]` -> pooling over each row's real steps `[B, D*H]`
/// -> linear `[B, C]` logits. Parameter names are those of the equivalent PyTorch module:
/// `embedding.weight` (token input), `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`.
public final class SequenceClassifier<Scalar: RecurScalar>: Module {
    public let configuration: SequenceClassifierConfiguration
    public let embedding: Embedding<Scalar>?
    public let rnn: RecurrentNetwork<Scalar>
    public let pooling: SequencePooling<Scalar>
    public let head: Linear<Scalar>

    private var usedTokens = false

    public init(_ configuration: SequenceClassifierConfiguration, using generator: inout RandomGenerator) {
        let c = configuration
        precondition(c.classCount >= 2, "SequenceClassifier: expected at least 2 classes, got \(c.classCount)")
        let initialization = c.initialization
        self.configuration = c
        if case let .tokens(vocabularySize, embeddingSize) = c.input {
            embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                  initialization: initialization, using: &generator)
        } else {
            embedding = nil
        }
        rnn = RecurrentNetwork(cell: c.cell, inputSize: c.input.width, hiddenSize: c.hiddenSize, layers: c.layers,
                               bidirectional: c.bidirectional, dropout: c.dropout, initialization: initialization,
                               using: &generator)
        pooling = SequencePooling(c.pooling, directions: c.bidirectional ? 2 : 1)
        head = Linear(inputSize: (c.bidirectional ? 2 : 1) * c.hiddenSize, outputSize: c.classCount, using: &generator)
        if initialization == .keras {
            head.weight.value = Initializer.glorotUniform(shape: head.weight.shape, using: &generator)
            head.bias?.value.zero()
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        (embedding?.namedParameters.map { ("embedding." + $0.name, $0.parameter) } ?? [])
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
            + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    public var classCount: Int { configuration.classCount }

    /// Training mode (dropout on) or evaluation mode.
    public var isTraining: Bool {
        get { rnn.isTraining }
        set { rnn.isTraining = newValue }
    }

    /// Logits `[B, C]` for token ids `[T * B]` (time-major, padding anything in range) with B lengths in 1...T.
    public func forward(tokens ids: [Int], steps: Int, batch: Int, lengths: [Int]) -> Tensor<Scalar> {
        guard let embedding else { preconditionFailure("SequenceClassifier: this model reads features, not tokens") }
        usedTokens = true
        let (hidden, _) = rnn.forward(tokens: ids, steps: steps, batch: batch, embedding: embedding, lengths: lengths)
        return head.forward(pooling.forward(hidden, lengths: lengths))
    }

    /// Logits `[B, C]` for features `[T, B, F]` with B lengths in 1...T.
    public func forward(features x: Tensor<Scalar>, lengths: [Int]) -> Tensor<Scalar> {
        precondition(embedding == nil, "SequenceClassifier: this model reads tokens, not features")
        usedTokens = false
        let (hidden, _) = rnn.forward(x, lengths: lengths)
        return head.forward(pooling.forward(hidden, lengths: lengths))
    }

    /// Back-propagates dL/dlogits `[B, C]` through the last forward pass, accumulating every
    /// parameter's gradient; returns dL/d(features) `[T, B, F]` after a features forward pass (nil
    /// after a token one: ids have no gradient).
    @discardableResult
    public func backward(logitsGradient: Tensor<Scalar>) -> Tensor<Scalar>? {
        let (dInput, _) = rnn.backward(outputGradient: pooling.backward(head.backward(logitsGradient)))
        if usedTokens {
            embedding!.accumulate(weightGradient: dInput)
            return nil
        }
        return dInput
    }
}
