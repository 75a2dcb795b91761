/// Turns labelled sequences into model inputs: the label names, the token vocabulary or the feature
/// scaling fitted on a training set, and the encoding of any set under them.
public enum ClassificationData {
    /// What a training set defines for its model: label names (sorted), and a vocabulary (text) or a
    /// feature scaling (numeric frames). A single label is refused: there is nothing to learn.
    public static func fit(_ examples: [LabelledSequence], tokenization: Tokenization, maxVocabulary: Int?,
                           path: String) throws(DataError) -> (labels: [String], vocabulary: TokenVocabulary?, scaling: FeatureScaling?) {
        let labels = Array(Set(examples.compactMap(\.label))).sorted()
        guard labels.count >= 2 else {
            throw DataError(path: path, line: 0, "has \(labels.count == 1 ? "a single label, '\(labels[0])'" : "no labels"); a classifier needs examples of at least two classes")
        }
        let inputs = try InputEncoding.fit(examples, tokenization: tokenization, maxVocabulary: maxVocabulary, path: path)
        return (labels, inputs.vocabulary, inputs.scaling)
    }

    /// The examples encoded for a classifier of `configuration`: an unknown label, text given to a
    /// numeric model (or the reverse) or frames of another width are refused with the line.
    /// Unlabelled examples get class -1 unless `requireLabels`.
    public static func encode(_ examples: [LabelledSequence], for configuration: SequenceClassifierConfiguration,
                              path: String, requireLabels: Bool = true) throws(DataError) -> EncodedSequences {
        var classIndex: [String: Int] = [:]
        for (id, label) in configuration.labels.enumerated() { classIndex[label] = id }
        var labels: [Int] = [], tokens: [[Int]] = [], frames: [[Float]] = []
        for example in examples {
            if let label = example.label {
                guard let id = classIndex[label] else {
                    throw DataError(path: path, line: example.line, "has the label '\(label)', which the model does not know (its labels: \(configuration.labels.prefix(20).joined(separator: ", "))\(configuration.labels.count > 20 ? ", ..." : ""))")
                }
                labels.append(id)
            } else {
                guard !requireLabels else { throw DataError(path: path, line: example.line, "has no label") }
                labels.append(-1)
            }
            let input = try InputEncoding.encode(example, vocabulary: configuration.vocabulary, scaling: configuration.scaling, path: path)
            if let ids = input.ids { tokens.append(ids) }
            if let scaled = input.frames { frames.append(scaled) }
        }
        if let scaling = configuration.scaling { return EncodedSequences(inputs: .features(width: scaling.width, frames), labels: labels) }
        return EncodedSequences(inputs: .tokens(tokens), labels: labels)
    }

    /// Class weights inversely proportional to class frequency, `n / (C * n_c)` (scikit-learn's
    /// "balanced"); a class absent from the labels gets 0.
    public static func balancedWeights(labels: [Int], classCount: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 { counts[label] += 1 }
        let n = Double(counts.reduce(0, +))
        return counts.map { $0 == 0 ? 0 : n / (Double(classCount) * Double($0)) }
    }
}
