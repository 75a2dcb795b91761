import RecurCore

/// What a sequence classifier reads at each step.
public enum SequenceInput: Codable, Equatable, Sendable {
    /// Token ids in `0..<vocabularySize`, embedded into `embeddingSize` features.
    case tokens(vocabularySize: Int, embeddingSize: Int)
    /// `features` numbers per step (already normalised by the caller).
    case features(Int)

    /// Token input of `embeddingSize` for a vocabulary, else numeric input of the scaling's width.
    public init(vocabulary: TokenVocabulary?, scaling: FeatureScaling?, embeddingSize: Int) {
        if let vocabulary { self = .tokens(vocabularySize: vocabulary.count, embeddingSize: embeddingSize) } else { self = .features(scaling?.width ?? 0) }
    }

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
        input.problem(layers: layers, hiddenSize: hiddenSize, dropout: dropout, names: labels, kind: "labels",
                      vocabulary: vocabulary, scaling: scaling)
    }
}

/// Many-to-one: a whole sequence in, one class out.
///
/// tokens `[T, B]` -> embedding `[T, B, E]` (or features `[T, B, F]`) -> stacked, optionally
/// bidirectional recurrent network `[T, B, D*H]` -> pooling over each row's real steps `[B, D*H]`
/// -> linear `[B, C]` logits. Parameter names are those of the equivalent PyTorch module:
/// `embedding.weight` (token input), `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`.
public final class SequenceClassifier<Scalar: RecurScalar>: Module, ModelModes {
    public let configuration: SequenceClassifierConfiguration
    public let encoder: SequenceEncoder<Scalar>
    public let pooling: SequencePooling<Scalar>
    public let head: Linear<Scalar>
    /// Per-class loss weights in training (`SoftmaxCrossEntropy`'s `classWeights`); nil weighs all alike.
    public var classWeights: [Double]?

    public init(_ configuration: SequenceClassifierConfiguration, using generator: inout RandomGenerator) {
        let c = configuration
        precondition(c.problem == nil, "SequenceClassifier: \(c.problem ?? "")")
        self.configuration = c
        encoder = SequenceEncoder(input: c.input, cell: c.cell, layers: c.layers, hiddenSize: c.hiddenSize,
                                  bidirectional: c.bidirectional, dropout: c.dropout, initialization: c.initialization,
                                  using: &generator)
        pooling = SequencePooling(c.pooling, directions: c.bidirectional ? 2 : 1)
        head = Linear(inputSize: encoder.outputWidth, outputSize: c.classCount, initialization: c.initialization, using: &generator)
    }

    public var embedding: Embedding<Scalar>? { encoder.embedding }
    public var rnn: RecurrentNetwork<Scalar> { encoder.rnn }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        encoder.namedParameters + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    public var classCount: Int { configuration.classCount }

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
        }
    }

    /// Logits `[B, C]` for token ids `[T * B]` (time-major, padding anything in range) with B lengths in 1...T.
    public func forward(tokens ids: [Int], steps: Int, batch: Int, lengths: [Int]) -> Tensor<Scalar> {
        head.forward(pooling.forward(encoder.forward(tokens: ids, steps: steps, batch: batch, lengths: lengths), lengths: lengths))
    }

    /// Logits `[B, C]` for features `[T, B, F]` with B lengths in 1...T.
    public func forward(features x: Tensor<Scalar>, lengths: [Int]) -> Tensor<Scalar> {
        head.forward(pooling.forward(encoder.forward(features: x, lengths: lengths), lengths: lengths))
    }

    /// Back-propagates dL/dlogits `[B, C]` through the last forward pass, accumulating every
    /// parameter's gradient; returns dL/d(features) `[T, B, F]` after a features forward pass (nil
    /// after a token one: ids have no gradient).
    @discardableResult
    public func backward(logitsGradient: Tensor<Scalar>) -> Tensor<Scalar>? {
        encoder.backward(pooling.backward(head.backward(logitsGradient)))
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
        head.forward(pooling.forward(encoder.forward(batch), lengths: batch.lengths))
    }

    /// Mean (class-weighted, with `classWeights`) cross-entropy of the batch's labels, and its gradients.
    public func lossAndGradients(_ batch: SequenceBatch) -> (loss: Double, count: Int) {
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits(batch), targets: batch.labels, classWeights: classWeights)
        backward(logitsGradient: dLogits)
        return (loss, batch.batch)
    }
}
