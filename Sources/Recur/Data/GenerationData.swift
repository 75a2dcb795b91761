import RecurCore

/// Independent sequences encoded for a sequence language model: each the begin symbol, the text's
/// symbols and the end symbol, with the condition vector of its row (a conditioned model).
public struct GenerationSet: Sendable {
    /// Per sequence: begin id, the text's ids, end id.
    public var sequences: [[Int]]
    /// Per sequence, its condition vector (a conditioned model), else nil.
    public var conditions: [[Float]]?
    /// Per sequence, the condition label its line gave (for the loss per condition), or nil.
    public var labels: [String?]

    public init(sequences: [[Int]], conditions: [[Float]]?, labels: [String?]) {
        self.sequences = sequences
        self.conditions = conditions
        self.labels = labels
    }

    public var count: Int { sequences.count }
    /// Per sequence, the steps it is trained on: every symbol but the last is an input.
    public var lengths: [Int] { sequences.map { $0.count - 1 } }

    /// The padded, time-major batch of the given sequences: inputs are each sequence without its last
    /// symbol, targets without its first; padding (id 0) lies past each row's length and counts for
    /// nothing.
    public func batch(_ rows: [Int]) -> CharRNN<Float>.Batch {
        let lengths = rows.map { sequences[$0].count - 1 }
        let T = lengths.max() ?? 0, B = rows.count
        var inputs = [Int](repeating: 0, count: T * B), targets = [Int](repeating: 0, count: T * B)
        for (b, row) in rows.enumerated() {
            let ids = sequences[row]
            for t in 0..<(ids.count - 1) {
                inputs[t * B + b] = ids[t]
                targets[t * B + b] = ids[t + 1]
            }
        }
        var batch = CharRNN<Float>.Batch(inputs: inputs, targets: targets, steps: T, batch: B, lengths: lengths)
        if let conditions, let width = conditions.first?.count {
            var c = Tensor<Float>(shape: [B, width])
            c.withUnsafeMutableBufferPointer { cb in
                for (b, row) in rows.enumerated() { for j in 0..<width { cb[b * width + j] = conditions[row][j] } }
            }
            batch.conditions = c
        }
        return batch
    }
}

/// Turns conditioned texts into a sequence language model's inputs: the vocabulary and condition
/// fitted on a training set, and the encoding of any set under them.
public enum GenerationData {
    /// What a training set defines for its model: the vocabulary (its texts' symbols, plus the begin
    /// and end symbols) and, unless `ignoreConditions` or the file has none, the condition: the sorted
    /// labels (at least two), or the width of the features and their standardisation.
    public static func fit(_ sequences: [ConditionedText], ignoreConditions: Bool = false,
                           path: String) throws(DataError) -> (vocabulary: Vocabulary, condition: GenerationCondition?) {
        var symbols = Set<Unicode.Scalar>([CharRNNConfiguration.beginSymbol, CharRNNConfiguration.endSymbol])
        for sequence in sequences { symbols.formUnion(sequence.text.unicodeScalars) }
        let vocabulary = Vocabulary(symbols: Array(symbols))
        guard !ignoreConditions, let first = sequences.first?.condition else { return (vocabulary, nil) }
        switch first {
        case .label:
            let names = try ClassNames.fit(sequences.compactMap(\.label), noun: "condition",
                                           requirement: "conditioning needs at least two; drop the \"condition\" fields (or give --unconditioned) to train without",
                                           path: path)
            return (vocabulary, .labels(names))
        case let .features(values):
            let vectors = sequences.compactMap { sequence -> [Double]? in
                if case let .features(v)? = sequence.condition { return v }
                return nil
            }
            return (vocabulary, .features(size: values.count, scaling: FeatureScaling(fitting: vectors.map { [$0] })))
        }
    }

    /// The sequences encoded for a model of `configuration` (which must have sequence boundaries).
    /// Refused with the line: a symbol outside the vocabulary; for a conditioned model, a line without
    /// a condition, a label it was not trained on, or features of another width.
    public static func encode(_ sequences: [ConditionedText], for configuration: CharRNNConfiguration,
                              path: String) throws(DataError) -> GenerationSet {
        guard let (begin, end) = configuration.boundaryIDs else {
            throw DataError(path: path, line: 0, "holds independent sequences, but the model was trained on a continuous text; give it a text file")
        }
        var encoded: [[Int]] = [], conditions: [[Float]] = []
        for sequence in sequences {
            let ids: [Int]
            do {
                ids = try configuration.vocabulary.encode(sequence.text)
            } catch {
                throw DataError(path: path, line: sequence.line, "\"text\" has \(error)")
            }
            encoded.append([begin] + ids + [end])
            if let condition = configuration.condition {
                guard let value = sequence.condition else {
                    throw DataError(path: path, line: sequence.line, "has no condition, but the model is conditioned (\(describe(condition)))")
                }
                do {
                    conditions.append(try condition.vector(value))
                } catch {
                    throw DataError(path: path, line: sequence.line, error.description)
                }
            }
        }
        return GenerationSet(sequences: encoded, conditions: configuration.condition == nil ? nil : conditions,
                             labels: sequences.map(\.label))
    }

    /// A condition in a few words.
    public static func describe(_ condition: GenerationCondition) -> String {
        switch condition {
        case let .labels(names): return "\(names.count) condition labels"
        case let .features(size, _): return "\(size) condition features"
        }
    }
}
