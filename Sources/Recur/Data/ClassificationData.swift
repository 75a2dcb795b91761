/// Turns labelled sequences into model inputs: the label names, the token vocabulary or the feature
/// scaling fitted on a training set, and the encoding of any set under them.
public enum ClassificationData {
    /// What a training set defines for its model: label names (sorted), and a vocabulary (text) or a
    /// feature scaling (numeric frames). A single label is refused: there is nothing to learn.
    public static func fit(_ examples: [LabelledSequence], tokenization: Tokenization, maxVocabulary: Int?,
                           path: String) throws(DataError) -> (labels: [String], vocabulary: TokenVocabulary?, scaling: FeatureScaling?) {
        let labels = try ClassNames.fit(examples.compactMap(\.label), noun: "label",
                                        requirement: "a classifier needs examples of at least two classes", path: path)
        let inputs = try InputEncoding.fit(examples, tokenization: tokenization, maxVocabulary: maxVocabulary, path: path)
        return (labels, inputs.vocabulary, inputs.scaling)
    }

    /// The examples encoded for a classifier of `configuration`: an unknown label, text given to a
    /// numeric model (or the reverse) or frames of another width are refused with the line.
    /// Unlabelled examples get class -1 unless `requireLabels`.
    public static func encode(_ examples: [LabelledSequence], for configuration: SequenceClassifierConfiguration,
                              path: String, requireLabels: Bool = true) throws(DataError) -> EncodedSequences {
        let classes = ClassNames(configuration.labels, noun: "label")
        var labels: [Int] = [], tokens: [[Int]] = [], frames: [[Float]] = []
        for example in examples {
            if let label = example.label {
                labels.append(try classes.id(of: label, line: example.line, path: path))
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
