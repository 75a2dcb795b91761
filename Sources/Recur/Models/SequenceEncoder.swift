import RecurCore

/// The front that the whole-sequence models share: token ids through an embedding, or numeric
/// features as they are, into a stacked, optionally bidirectional recurrent network.
///
/// `[T, B]` ids (or `[T, B, F]` features) with per-row lengths -> `[T, B, D*H]`, zero past each row's
/// length. Parameter names: `embedding.weight` (token input), then the network's `rnn.*`.
public final class SequenceEncoder<Scalar: RecurScalar>: Module {
    public let embedding: Embedding<Scalar>?
    public let rnn: RecurrentNetwork<Scalar>
    private var usedTokens = false

    public init(input: SequenceInput, cell: CellKind, layers: Int, hiddenSize: Int, bidirectional: Bool, dropout: Double,
                initialization: WeightInitialization, using generator: inout RandomGenerator) {
        if case let .tokens(vocabularySize, embeddingSize) = input {
            embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                  initialization: initialization, using: &generator)
        } else {
            embedding = nil
        }
        rnn = RecurrentNetwork(cell: cell, inputSize: input.width, hiddenSize: hiddenSize, layers: layers,
                               bidirectional: bidirectional, dropout: dropout, initialization: initialization, using: &generator)
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        (embedding?.namedParameters.map { ("embedding." + $0.name, $0.parameter) } ?? [])
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
    }

    /// D*H, the width of each step's output.
    public var outputWidth: Int { rnn.directionCount * rnn.hiddenSize }

    /// Outputs `[T, B, D*H]` for token ids `[T * B]` (time-major) with B lengths.
    public func forward(tokens ids: [Int], steps: Int, batch: Int, lengths: [Int]) -> Tensor<Scalar> {
        guard let embedding else { preconditionFailure("SequenceEncoder: this model reads features, not tokens") }
        usedTokens = true
        return rnn.forward(tokens: ids, steps: steps, batch: batch, embedding: embedding, lengths: lengths).output
    }

    /// Outputs `[T, B, D*H]` for features `[T, B, F]` with B lengths.
    public func forward(features x: Tensor<Scalar>, lengths: [Int]) -> Tensor<Scalar> {
        precondition(embedding == nil, "SequenceEncoder: this model reads tokens, not features")
        usedTokens = false
        return rnn.forward(x, lengths: lengths).output
    }

    /// Outputs of a batch, token or feature input as the model reads.
    public func forward(_ batch: SequenceBatch) -> Tensor<Scalar> {
        if let tokens = batch.tokens { return forward(tokens: tokens, steps: batch.steps, batch: batch.batch, lengths: batch.lengths) }
        return forward(features: Tensor<Scalar>(batch.features!), lengths: batch.lengths)
    }

    /// Back-propagates dL/d(outputs), accumulating every gradient; returns dL/d(features) after a
    /// features forward pass (nil after a token one: ids have no gradient).
    public func backward(_ dOutput: Tensor<Scalar>) -> Tensor<Scalar>? {
        let (dInput, _) = rnn.backward(outputGradient: dOutput)
        if usedTokens {
            embedding!.accumulate(weightGradient: dInput)
            return nil
        }
        return dInput
    }
}

extension SequenceInput {
    /// What is wrong with the shared part of a whole-sequence model's configuration, or nil: sizes out
    /// of range, fewer than two distinct `names` (classes, tags), or an encoding that does not fit.
    func problem(layers: Int, hiddenSize: Int, dropout: Double, names: [String], kind: String,
                 vocabulary: TokenVocabulary?, scaling: FeatureScaling?) -> String? {
        if case let .tokens(v, e) = self, !(v >= 1 && v <= 1 << 24 && e >= 1 && e <= 16384) { return "token input sizes \(v), \(e) are out of range" }
        if case let .features(f) = self, !(f >= 1 && f <= 1 << 16) { return "feature count \(f) is out of range" }
        if !(layers >= 1 && layers <= 64) { return "layers \(layers) is out of range" }
        if !(hiddenSize >= 1 && hiddenSize <= 16384) { return "hidden size \(hiddenSize) is out of range" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
        if names.count < 2 || Set(names).count != names.count { return "\(kind) must be at least two distinct names" }
        if let vocabulary, case let .tokens(v, _) = self, vocabulary.count != v {
            return "the vocabulary has \(vocabulary.count) tokens but the input \(v)"
        }
        if let scaling, case let .features(f) = self, scaling.width != f || scaling.standardDeviation.count != f {
            return "the scaling has \(scaling.width) features but the input \(f)"
        }
        return nil
    }
}
