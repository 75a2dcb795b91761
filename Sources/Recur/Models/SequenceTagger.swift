import RecurCore

/// The sizes and choices that define a `SequenceTagger`.
public struct SequenceTaggerConfiguration: Codable, Equatable, Sendable {
    public var input: SequenceInput
    public var cell: CellKind
    public var layers: Int
    public var hiddenSize: Int
    public var bidirectional: Bool
    public var dropout: Double
    public var initialization: WeightInitialization
    /// The tag names, in tag-id order.
    public var tags: [String]
    /// How tokens become ids (token input).
    public var vocabulary: TokenVocabulary?
    /// How numeric frames are standardised (numeric input).
    public var scaling: FeatureScaling?

    public var tagCount: Int { tags.count }

    public init(input: SequenceInput, cell: CellKind = .lstm, layers: Int = 1, hiddenSize: Int, bidirectional: Bool = true,
                dropout: Double = 0, tags: [String], initialization: WeightInitialization = .pytorch,
                vocabulary: TokenVocabulary? = nil, scaling: FeatureScaling? = nil) {
        self.input = input
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.initialization = initialization
        self.tags = tags
        self.vocabulary = vocabulary
        self.scaling = scaling
    }

    /// What is wrong with this configuration, or nil (checked before a checkpoint's model is built).
    public var problem: String? {
        if case let .tokens(v, e) = input, !(v >= 1 && v <= 1 << 24 && e >= 1 && e <= 16384) { return "token input sizes \(v), \(e) are out of range" }
        if case let .features(f) = input, !(f >= 1 && f <= 1 << 16) { return "feature count \(f) is out of range" }
        if !(layers >= 1 && layers <= 64) { return "layers \(layers) is out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 16384) { return "hidden size \(hiddenSize) is out of range" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if tags.count < 2 || Set(tags).count != tags.count { return "tags must be at least two distinct names" }
        if let vocabulary, case let .tokens(v, _) = input, vocabulary.count != v {
            return "the vocabulary has \(vocabulary.count) tokens but the input \(v)"
        }
        if let scaling, case let .features(f) = input, scaling.width != f || scaling.standardDeviation.count != f {
            return "the scaling has \(scaling.width) features but the input \(f)"
        }
        return nil
    }
}

/// Many-to-many, aligned: a tag for every step.
///
/// tokens `[T, B]` -> embedding (or features `[T, B, F]`) -> stacked, by default bidirectional
/// recurrent network `[T, B, D*H]` -> linear at every step `[T, B, C]` logits; the loss is softmax
/// cross-entropy over the real steps only (padding never counts). Parameter names are those of the
/// equivalent PyTorch module: `embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`.
public final class SequenceTagger<Scalar: RecurScalar>: Module {
    public let configuration: SequenceTaggerConfiguration
    public let embedding: Embedding<Scalar>?
    public let rnn: RecurrentNetwork<Scalar>
    public let head: Linear<Scalar>
    /// Per-tag loss weights in training; nil weighs all alike.
    public var tagWeights: [Double]?
    private var usedTokens = false

    public init(_ c: SequenceTaggerConfiguration, using generator: inout RandomGenerator) {
        precondition(c.problem == nil, "SequenceTagger: \(c.problem ?? "")")
        configuration = c
        if case let .tokens(vocabularySize, embeddingSize) = c.input {
            embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                  initialization: c.initialization, using: &generator)
        } else {
            embedding = nil
        }
        rnn = RecurrentNetwork(cell: c.cell, inputSize: c.input.width, hiddenSize: c.hiddenSize, layers: c.layers,
                               bidirectional: c.bidirectional, dropout: c.dropout, initialization: c.initialization,
                               using: &generator)
        head = Linear(inputSize: (c.bidirectional ? 2 : 1) * c.hiddenSize, outputSize: c.tagCount, using: &generator)
        if c.initialization == .keras {
            head.weight.value = Initializer.glorotUniform(shape: head.weight.shape, using: &generator)
            head.bias?.value.zero()
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        (embedding?.namedParameters.map { ("embedding." + $0.name, $0.parameter) } ?? [])
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
            + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

    public var isTraining: Bool {
        get { rnn.isTraining }
        set { rnn.isTraining = newValue }
    }

    /// Logits `[T, B, C]` of a batch (token or feature input, as the model reads).
    public func logits(_ batch: SequenceBatch) -> Tensor<Scalar> {
        let hidden: Tensor<Scalar>
        if let tokens = batch.tokens {
            guard let embedding else { preconditionFailure("SequenceTagger: this model reads features, not tokens") }
            usedTokens = true
            hidden = rnn.forward(tokens: tokens, steps: batch.steps, batch: batch.batch, embedding: embedding, lengths: batch.lengths).output
        } else {
            precondition(embedding == nil, "SequenceTagger: this model reads tokens, not features")
            usedTokens = false
            hidden = rnn.forward(Tensor<Scalar>(batch.features!), lengths: batch.lengths).output
        }
        return head.forward(hidden)
    }

    /// Back-propagates dL/dlogits `[T, B, C]`; returns dL/d(features) after a features forward pass.
    @discardableResult
    public func backward(logitsGradient: Tensor<Scalar>) -> Tensor<Scalar>? {
        let (dInput, _) = rnn.backward(outputGradient: head.backward(logitsGradient))
        if usedTokens {
            embedding!.accumulate(weightGradient: dInput)
            return nil
        }
        return dInput
    }

    /// Mean cross-entropy over the batch's tagged real steps (padding and untagged steps count for
    /// nothing), and its gradients.
    public func maskedLossAndGradients(_ batch: SequenceBatch) -> (loss: Double, count: Int) {
        let targets = batch.stepTags!
        let mask = targets.map { $0 >= 0 }
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits(batch), targets: targets.map { max($0, 0) },
                                                          mask: mask, classWeights: tagWeights)
        backward(logitsGradient: dLogits)
        return (loss, mask.filter { $0 }.count)
    }
}

extension SequenceTagger: RecurModel where Scalar == Float {
    public static var task: String { "tag" }

    public convenience init(configuration: SequenceTaggerConfiguration, using generator: inout RandomGenerator) {
        self.init(configuration, using: &generator)
    }

    public var dropoutGenerator: RandomGenerator {
        get { rnn.generator }
        set { rnn.generator = newValue }
    }

    public func lossAndGradients(_ batch: SequenceBatch) -> (loss: Double, count: Int) {
        maskedLossAndGradients(batch)
    }
}
