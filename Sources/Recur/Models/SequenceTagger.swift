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
        input.problem(layers: layers, hiddenSize: hiddenSize, dropout: dropout, names: tags, kind: "tags",
                      vocabulary: vocabulary, scaling: scaling)
    }
}

/// Many-to-many, aligned: a tag for every step.
///
/// tokens `[T, B]` -> embedding (or features `[T, B, F]`) -> stacked, by default bidirectional
/// recurrent network `[T, B, D*H]` -> linear at every step `[T, B, C]` logits; the loss is softmax
/// cross-entropy over the real steps only (padding never counts). Parameter names are those of the
/// equivalent PyTorch module: `embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`.
public final class SequenceTagger<Scalar: RecurScalar>: Module, ModelModes {
    public let configuration: SequenceTaggerConfiguration
    public let encoder: SequenceEncoder<Scalar>
    public let head: Linear<Scalar>
    /// Per-tag loss weights in training; nil weighs all alike.
    public var tagWeights: [Double]?

    public init(_ c: SequenceTaggerConfiguration, using generator: inout RandomGenerator) {
        precondition(c.problem == nil, "SequenceTagger: \(c.problem ?? "")")
        configuration = c
        encoder = SequenceEncoder(input: c.input, cell: c.cell, layers: c.layers, hiddenSize: c.hiddenSize,
                                  bidirectional: c.bidirectional, dropout: c.dropout, initialization: c.initialization,
                                  using: &generator)
        head = Linear(inputSize: encoder.outputWidth, outputSize: c.tagCount, initialization: c.initialization, using: &generator)
    }

    public var embedding: Embedding<Scalar>? { encoder.embedding }
    public var rnn: RecurrentNetwork<Scalar> { encoder.rnn }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        encoder.namedParameters + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
    }

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

    /// Logits `[T, B, C]` of a batch (token or feature input, as the model reads).
    public func logits(_ batch: SequenceBatch) -> Tensor<Scalar> {
        head.forward(encoder.forward(batch))
    }

    /// Back-propagates dL/dlogits `[T, B, C]`; returns dL/d(features) after a features forward pass.
    @discardableResult
    public func backward(logitsGradient: Tensor<Scalar>) -> Tensor<Scalar>? {
        encoder.backward(head.backward(logitsGradient))
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
