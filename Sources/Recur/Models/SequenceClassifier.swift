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

    /// Stored as `{"type": "features", "size": F}` or `{"type": "tokens", "vocabulary_size": V,
    /// "embedding_size": E}` (with snake-case keys, as checkpoints write them).
    enum CodingKeys: String, CodingKey { case type, size, vocabularySize, embeddingSize }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "features": self = .features(try c.decode(Int.self, forKey: .size))
        case "tokens": self = .tokens(vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
                                      embeddingSize: try c.decode(Int.self, forKey: .embeddingSize))
        case let other: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "'\(other)' is not features or tokens")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .features(count):
            try c.encode("features", forKey: .type)
            try c.encode(count, forKey: .size)
        case let .tokens(vocabularySize, embeddingSize):
            try c.encode("tokens", forKey: .type)
            try c.encode(vocabularySize, forKey: .vocabularySize)
            try c.encode(embeddingSize, forKey: .embeddingSize)
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
    public var initialization: WeightInitialization
    /// The class names, in class-id order.
    public var labels: [String]
    /// How text becomes token ids (token input read from text).
    public var vocabulary: TokenVocabulary?
    /// How numeric frames are standardised (numeric input).
    public var scaling: FeatureScaling?

    public var classCount: Int { labels.count }

    public init(input: SequenceInput, cell: CellKind = .lstm, layers: Int = 1, hiddenSize: Int,
                bidirectional: Bool = false, dropout: Double = 0, pooling: PoolingKind = .last, labels: [String],
                initialization: WeightInitialization = .pytorch, vocabulary: TokenVocabulary? = nil,
                scaling: FeatureScaling? = nil) {
        self.input = input
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.labels = labels
        self.initialization = initialization
        self.vocabulary = vocabulary
        self.scaling = scaling
    }

    public func makeModel<Scalar: RecurScalar>(using generator: inout RandomGenerator) -> SequenceClassifier<Scalar> {
        SequenceClassifier(self, using: &generator)
    }

    /// What is wrong with this configuration (sizes out of range, labels, encodings that do not fit
    /// the input), or nil: a checkpoint's configuration is checked before a model is built from it.
    public var problem: String? {
        if case let .tokens(v, e) = input, !(v >= 1 && v <= 1 << 24 && e >= 1 && e <= 16384) { return "token input sizes \(v), \(e) are out of range" }
        if case let .features(f) = input, !(f >= 1 && f <= 1 << 16) { return "feature count \(f) is out of range" }
        if !(layers >= 1 && layers <= 64) { return "layers \(layers) is out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 16384) { return "hidden size \(hiddenSize) is out of range" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if labels.count < 2 || Set(labels).count != labels.count { return "labels must be at least two distinct names" }
        if let vocabulary, case let .tokens(v, _) = input, vocabulary.count != v {
            return "the vocabulary has \(vocabulary.count) tokens but the input \(v)"
        }
        if let scaling, case let .features(f) = input, scaling.width != f || scaling.standardDeviation.count != f {
            return "the scaling has \(scaling.width) features but the input \(f)"
        }
        return nil
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
    /// Per-class loss weights in training (`SoftmaxCrossEntropy`'s `classWeights`); nil weighs all alike.
    public var classWeights: [Double]?

    public init(_ configuration: SequenceClassifierConfiguration, using generator: inout RandomGenerator) {
        let c = configuration
        precondition(c.classCount >= 2, "SequenceClassifier: expected at least 2 classes, got \(c.classCount)")
        precondition(c.problem == nil, "SequenceClassifier: \(c.problem ?? "")")
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

extension SequenceClassifier: RecurModel where Scalar == Float {
    public static var task: String { "classify" }

    public convenience init(configuration: SequenceClassifierConfiguration, using generator: inout RandomGenerator) {
        self.init(configuration, using: &generator)
    }

    public var dropoutGenerator: RandomGenerator {
        get { rnn.generator }
        set { rnn.generator = newValue }
    }

    /// Logits `[B, C]` of a batch (token or feature input, as the model reads).
    public func logits(_ batch: SequenceBatch) -> Tensor<Float> {
        if let tokens = batch.tokens {
            return forward(tokens: tokens, steps: batch.steps, batch: batch.batch, lengths: batch.lengths)
        }
        return forward(features: batch.features!, lengths: batch.lengths)
    }

    /// Mean (class-weighted, with `classWeights`) cross-entropy of the batch's labels, and its gradients.
    public func lossAndGradients(_ batch: SequenceBatch) -> (loss: Double, count: Int) {
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits(batch), targets: batch.labels, classWeights: classWeights)
        backward(logitsGradient: dLogits)
        return (loss, batch.batch)
    }
}
