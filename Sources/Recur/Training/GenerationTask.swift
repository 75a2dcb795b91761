import Foundation
import RecurCore

/// One-to-many training: a language model on independent sequences (each from its begin symbol to
/// its end symbol, optionally conditioned), in shuffled, length-bucketed mini-batches, with the whole
/// sequence back-propagated (no truncation, no state carried between batches). Validated on held-out
/// sequences: the mean loss per predicted symbol.
public final class GenerationTask: WholeSequenceTask {
    public let model: CharRNN<Float>
    public let training: GenerationSet
    public let validation: GenerationSet?
    public let order: SequenceBatches
    public var processGroup: (any CollectiveSum)?

    public init(model: CharRNN<Float>, training: GenerationSet, validation: GenerationSet?, batchSize: Int, seed: UInt64) {
        self.model = model
        self.training = training
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        self.order = SequenceBatches(lengths: training.lengths, batchSize: batchSize, seed: seed)
    }

    public func trainingBatch(_ rows: [Int]) -> CharRNN<Float>.Batch { training.batch(rows) }

    /// The validation loss in nats per symbol (the end symbol included), and `bpc`.
    public func validate() -> ValidationResult? {
        guard let validation else { return nil }
        let nats = Self.evaluate(model, on: validation, group: processGroup).loss
        return ValidationResult(loss: nats, metrics: ["bpc": nats / Foundation.log(2)])
    }


    /// The loss over a group of sequences.
    public struct Loss: Equatable, Sendable {
        public var sequences: Int
        /// Predicted symbols: each sequence's characters and its end symbol.
        public var symbols: Int
        /// Mean cross-entropy per symbol, in nats.
        public var loss: Double
    }

    /// The loss of a set, overall and per condition label (sequences without a label are in the overall
    /// figure only).
    public struct Evaluation: Sendable {
        public var overall: Loss
        public var perCondition: [String: Loss]
        public var loss: Double { overall.loss }
    }

    /// Under `group`, rank r runs batches r, r + N, ... and the per-sequence sums are added.
    public static func evaluate(_ model: CharRNN<Float>, on set: GenerationSet, batchSize: Int = 64,
                                group: (any CollectiveSum)? = nil) -> Evaluation {
        let mode = model.enterInference()
        defer { model.restore(mode) }
        var perRow = [Double](repeating: 0, count: set.count)  // summed nats per sequence
        for rows in SequenceBatches.inOrder(lengths: set.lengths, batchSize: batchSize).assigned(to: group) {
            let batch = set.batch(rows)
            let (logits, _) = model.forward(batch.inputs, steps: batch.steps, batch: batch.batch,
                                            lengths: batch.lengths, conditions: batch.conditions)
            let V = logits.shape[2], B = batch.batch
            logits.withUnsafeBufferPointer { z in
                for (b, row) in rows.enumerated() {
                    var sum = 0.0
                    for t in 0..<batch.lengths![b] {
                        let base = (t * B + b) * V
                        sum += logSumExp(z.baseAddress! + base, count: V) - Double(z[base + batch.targets[t * B + b]])
                    }
                    perRow[row] = sum
                }
            }
        }
        if let group, group.isShared { group.sum(&perRow) }
        func loss(_ rows: [Int]) -> Loss {
            let symbols = rows.reduce(0) { $0 + set.lengths[$1] }
            let nats = rows.reduce(0.0) { $0 + perRow[$1] }
            return Loss(sequences: rows.count, symbols: symbols, loss: symbols > 0 ? nats / Double(symbols) : 0)
        }
        var groups: [String: [Int]] = [:]
        for (row, label) in set.labels.enumerated() { if let label { groups[label, default: []].append(row) } }
        return Evaluation(overall: loss(Array(0..<set.count)), perCondition: groups.mapValues(loss))
    }
}
