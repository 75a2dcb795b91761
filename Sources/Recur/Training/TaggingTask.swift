import RecurCore

/// Many-to-many aligned training: shuffled, length-bucketed mini-batches of whole sequences through a
/// `SequenceTagger<Float>`, validated on held-out sequences (loss, token accuracy, macro-F1, chunk F1 for
/// BIO tags).
public final class TaggingTask: WholeSequenceTask {
    public let model: SequenceTagger<Float>
    public let training: EncodedSequences
    public let validation: EncodedSequences?
    public let order: SequenceBatches
    public var processGroup: (any CollectiveSum)?

    public init(model: SequenceTagger<Float>, training: EncodedSequences, validation: EncodedSequences?, batchSize: Int, seed: UInt64) {
        self.model = model
        self.training = training
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        self.order = SequenceBatches(lengths: training.lengths, batchSize: batchSize, seed: seed)
    }

    public func trainingBatch(_ rows: [Int]) -> SequenceBatch { training.batch(rows) }

    public func validate() -> ValidationResult? {
        guard let validation else { return nil }
        let e = Self.evaluate(model, on: validation, group: processGroup)
        var metrics = ["accuracy": e.metrics.accuracy, "macro_f1": e.metrics.macroF1]
        if let chunk = e.chunkF1 { metrics["chunk_f1"] = chunk }
        return ValidationResult(loss: e.loss, metrics: metrics)
    }


    /// What a tagger makes of a set of sequences.
    public struct Evaluation: Sendable {
        /// Mean cross-entropy over the tagged steps.
        public var loss: Double
        /// The predicted tag ids of every step, per sequence in the set's order.
        public var predictions: [[Int]]
        /// Over the tagged steps.
        public var metrics: ClassificationMetrics
        /// conlleval's chunk F1, when the model's tags are BIO.
        public var chunkF1: Double?
        public var taggedSteps: Int
    }

    /// Runs `model` in evaluation mode over `examples`; under `group`, rank r runs batches r, r + N, ...
    /// and every rank ends with the whole evaluation.
    public static func evaluate(_ model: SequenceTagger<Float>, on examples: EncodedSequences, batchSize: Int = 64,
                                group: (any CollectiveSum)? = nil) -> Evaluation {
        let mode = model.enterInference()
        defer { model.restore(mode) }
        let C = model.configuration.tagCount
        var predictions = [[Int]](repeating: [], count: examples.count)
        var lossSum = 0.0, tagged = 0
        for rows in SequenceBatches.inOrder(lengths: examples.lengths, batchSize: batchSize).assigned(to: group) {
            let batch = examples.batch(rows)
            let logits = model.logits(batch)
            let targets = batch.stepTags!, mask = targets.map { $0 >= 0 }
            let counted = mask.filter { $0 }.count
            if counted > 0 {
                lossSum += SoftmaxCrossEntropy.compute(logits: logits, targets: targets.map { max($0, 0) }, mask: mask).loss * Double(counted)
                tagged += counted
            }
            let B = rows.count
            logits.withUnsafeBufferPointer { z in
                for (b, row) in rows.enumerated() {
                    predictions[row] = (0..<batch.lengths[b]).map { t in
                        let base = (t * B + b) * C
                        var best = 0
                        for c in 1..<C where z[base + c] > z[base + best] { best = c }
                        return best
                    }
                }
            }
        }
        if let group, group.isShared {
            var rows = predictions.map { $0.map(Double.init) }, totals = [lossSum, Double(tagged)]
            group.combine(&rows, widths: examples.lengths, totals: &totals)
            predictions = rows.map { $0.map { Int($0) } }
            (lossSum, tagged) = (totals[0], Int(totals[1]))
        }
        let tags = examples.tags ?? []
        var truth: [Int] = [], predicted: [Int] = []
        for (row, sequence) in tags.enumerated() {
            for (t, tag) in sequence.enumerated() where tag >= 0 {
                truth.append(tag)
                predicted.append(predictions[row][t])
            }
        }
        let names = model.configuration.tags
        var chunk: Double? = nil
        if ChunkF1.isBIO(names) {
            let labelled = tags.indices.filter { tags[$0].allSatisfy { $0 >= 0 } }
            chunk = ChunkF1.score(truth: labelled.map { tags[$0].map { names[$0] } },
                                  predictions: labelled.map { predictions[$0].map { names[$0] } }).f1
        }
        return Evaluation(loss: tagged > 0 ? lossSum / Double(tagged) : 0, predictions: predictions,
                          metrics: ClassificationMetrics(classCount: C, truth: truth, predictions: predicted),
                          chunkF1: chunk, taggedSteps: tagged)
    }
}
