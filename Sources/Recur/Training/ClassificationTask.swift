import RecurCore

/// Many-to-one training: shuffled, length-bucketed mini-batches of whole sequences through a
/// `SequenceClassifier`, validated on held-out examples (loss, accuracy, macro-F1).
public final class ClassificationTask: WholeSequenceTask {
    public let model: SequenceClassifier<Float>
    public let training: EncodedSequences
    public let validation: EncodedSequences?
    public let order: SequenceBatches
    public var processGroup: (any CollectiveSum)?

    public init(model: SequenceClassifier<Float>, training: EncodedSequences, validation: EncodedSequences?,
                batchSize: Int, seed: UInt64) {
        self.model = model
        self.training = training
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        self.order = SequenceBatches(lengths: training.lengths, batchSize: batchSize, seed: seed)
    }

    /// The batch that step `step` trains on.
    public func batch(step: Int) -> SequenceBatch {
        training.batch(order.rows(step: step))
    }

    public func trainingBatch(_ rows: [Int]) -> SequenceBatch { training.batch(rows) }

    public func validate() -> ValidationResult? {
        guard let validation else { return nil }
        let evaluation = Self.evaluate(model, on: validation, group: processGroup)
        return ValidationResult(loss: evaluation.loss, metrics: ["accuracy": evaluation.metrics.accuracy,
                                                                 "macro_f1": evaluation.metrics.macroF1])
    }


    /// What a classifier makes of a set of examples.
    public struct Evaluation: Sendable {
        /// Mean cross-entropy over the labelled examples (unweighted).
        public var loss: Double
        /// Class probabilities per example, in the examples' order.
        public var probabilities: [[Double]]
        public var predictions: [Int]
        /// Over the labelled examples.
        public var metrics: ClassificationMetrics
    }

    /// Runs `model` in evaluation mode over `examples` in batches of similar lengths. Under `group`,
    /// rank r runs batches r, r + N, ... and the probabilities and loss sums are added across the ranks,
    /// so that every rank ends with the whole evaluation.
    public static func evaluate(_ model: SequenceClassifier<Float>, on examples: EncodedSequences, batchSize: Int = 64,
                                group: (any CollectiveSum)? = nil) -> Evaluation {
        let mode = model.enterInference()
        defer { model.restore(mode) }
        let C = model.classCount
        var probabilities = [[Double]](repeating: [], count: examples.count)
        var lossSum = 0.0, labelled = 0
        for rows in SequenceBatches.inOrder(lengths: examples.lengths, batchSize: batchSize).assigned(to: group) {
            let batch = examples.batch(rows)
            let logits = model.logits(batch)
            let mask = batch.labels.map { $0 >= 0 }
            let counted = mask.filter { $0 }.count
            if counted > 0 {
                let (loss, _) = SoftmaxCrossEntropy.compute(logits: logits, targets: batch.labels.map { max($0, 0) }, mask: mask)
                lossSum += loss * Double(counted)
                labelled += counted
            }
            let p = softmax(logits)
            for (b, row) in rows.enumerated() { probabilities[row] = (0..<C).map { Double(p[b, $0]) } }
        }
        if let group, group.isShared {
            var totals = [lossSum, Double(labelled)]
            group.combine(&probabilities, widths: [Int](repeating: C, count: examples.count), totals: &totals)
            (lossSum, labelled) = (totals[0], Int(totals[1]))
        }
        let predictions = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let truth = examples.labels.enumerated().filter { $0.element >= 0 }
        let metrics = ClassificationMetrics(classCount: C, truth: truth.map(\.element), predictions: truth.map { predictions[$0.offset] })
        return Evaluation(loss: labelled > 0 ? lossSum / Double(labelled) : 0, probabilities: probabilities,
                          predictions: predictions, metrics: metrics)
    }
}
