import RecurCore

/// What a many-to-one or many-to-many model predicts at each step of one example, for `recur viz`.
public enum StepPredictions {
    /// A classifier's class probabilities after each prefix of example `index`: row t is what it
    /// predicts for the example's first t + 1 steps alone, as if the sequence ended there (one batch of
    /// the T prefixes, so any pooling and a bidirectional encoder are handled as the model reads them).
    /// The last row is the prediction for the whole example.
    public static func classifierPrefixes(_ model: SequenceClassifier<Float>, example index: Int, in data: EncodedSequences) -> [[Double]] {
        let T = data.lengths[index]
        precondition(T > 0, "StepPredictions: example \(index) is empty")
        let prefixes: EncodedSequences.Inputs
        switch data.inputs {
        case let .tokens(ids): prefixes = .tokens((1...T).map { Array(ids[index][0..<$0]) })
        case let .features(width, frames): prefixes = .features(width: width, (1...T).map { Array(frames[index][0..<($0 * width)]) })
        }
        let batch = EncodedSequences(inputs: prefixes, labels: [Int](repeating: -1, count: T)).batch(Array(0..<T))
        let mode = model.enterInference()
        defer { model.restore(mode) }
        let logits = model.logits(batch), C = model.classCount
        return (0..<T).map { t in softmax((0..<C).map { Double(logits[t, $0]) }) }
    }

    /// A tagger's tag probabilities at each step of example `index`.
    public static func tagger(_ model: SequenceTagger<Float>, example index: Int, in data: EncodedSequences) -> [[Double]] {
        let batch = data.batch([index])
        let mode = model.enterInference()
        defer { model.restore(mode) }
        let logits = model.logits(batch), C = model.configuration.tagCount
        return (0..<batch.lengths[0]).map { t in softmax((0..<C).map { Double(logits[t, 0, $0]) }) }
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let e = z.map { Double.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
