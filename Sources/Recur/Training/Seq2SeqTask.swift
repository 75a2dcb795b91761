import RecurCore

/// Encoder-decoder training: shuffled mini-batches of pairs bucketed by source length, the decoder
/// teacher-forced (or, with probability 1 - `teacherForcing`, fed its own choices), the whole unrolled
/// decoder and the encoder back-propagated. Validated on held-out pairs: loss, token accuracy and
/// exact match of greedy decoding.
public final class Seq2SeqTask: WholeSequenceTask {
    public let model: Seq2Seq<Float>
    public let training: Seq2SeqSet
    public let validation: Seq2SeqSet?
    public let order: SequenceBatches
    public var processGroup: (any CollectiveSum)?

    public init(model: Seq2Seq<Float>, training: Seq2SeqSet, validation: Seq2SeqSet?, batchSize: Int, seed: UInt64) {
        self.model = model
        self.training = training
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        self.order = SequenceBatches(lengths: training.sourceLengths, batchSize: batchSize, seed: seed)
    }

    public func trainingBatch(_ rows: [Int]) -> Seq2SeqBatch { training.batch(rows) }

    public func validate() -> ValidationResult? {
        guard let validation else { return nil }
        let e = Self.evaluate(model, on: validation, group: processGroup)
        return ValidationResult(loss: e.loss, metrics: ["token_accuracy": e.tokenAccuracy, "exact_match": e.exactMatch])
    }


    /// What a model makes of a set of pairs.
    public struct Evaluation: Sendable {
        /// Mean cross-entropy per target symbol (the end symbol included), teacher-forced.
        public var loss: Double
        /// The fraction of target symbols (and end symbols) that the teacher-forced decoder ranks first.
        public var tokenAccuracy: Double
        /// The fraction of pairs whose greedy decoding equals the target exactly.
        public var exactMatch: Double
        /// Per pair, the greedy decoding's ids (without `</s>`), in the set's order.
        public var predictions: [[Int]]
        public var symbols: Int
    }

    /// Under `group`, rank r runs batches r, r + N, ... and the sums and decoded sequences are made whole
    /// on every rank.
    public static func evaluate(_ model: Seq2Seq<Float>, on set: Seq2SeqSet, batchSize: Int = 64, maxLength: Int? = nil,
                                group: (any CollectiveSum)? = nil) -> Evaluation {
        let mode = model.enterInference(), forcing = model.teacherForcing
        model.teacherForcing = 1
        defer {
            model.restore(mode)
            model.teacherForcing = forcing
        }
        let targets = set.targets!
        var lossSum = 0.0, symbols = 0, right = 0, exact = 0
        var predictions = [[Int]](repeating: [], count: set.count)
        for rows in SequenceBatches.inOrder(lengths: set.sourceLengths, batchSize: batchSize).assigned(to: group) {
            let batch = set.batch(rows)
            let logits = model.forward(batch)
            let mask = batch.mask, counted = mask.filter { $0 }.count
            lossSum += SoftmaxCrossEntropy.compute(logits: logits, targets: batch.targets, mask: mask).loss * Double(counted)
            symbols += counted
            let V = logits.shape[2], B = rows.count
            logits.withUnsafeBufferPointer { z in
                for i in 0..<(batch.targetSteps * B) where mask[i] {
                    var best = 0
                    for v in 1..<V where z[i * V + v] > z[i * V + best] { best = v }
                    if best == batch.targets[i] { right += 1 }
                }
            }
            let limit = maxLength ?? max(model.configuration.maxTargetLength, batch.targetSteps)
            let decoded = model.greedy(source: batch.source, steps: batch.sourceSteps, lengths: batch.sourceLengths, maxLength: limit)
            for (b, row) in rows.enumerated() {
                predictions[row] = decoded.ids[b]
                if decoded.ids[b] + [Seq2SeqConfiguration.endID] == targets[row] { exact += 1 }
            }
        }
        if let group, group.isShared {
            // The decoded lengths first (each row's from the rank that decoded it), then the symbols.
            var lengths = predictions.map { Double($0.count) }
            group.sum(&lengths)
            var rows = predictions.map { $0.map(Double.init) }, totals = [lossSum, Double(symbols), Double(right), Double(exact)]
            group.combine(&rows, widths: lengths.map { Int($0) }, totals: &totals)
            predictions = rows.map { $0.map { Int($0) } }
            (lossSum, symbols, right, exact) = (totals[0], Int(totals[1]), Int(totals[2]), Int(totals[3]))
        }
        return Evaluation(loss: symbols > 0 ? lossSum / Double(symbols) : 0, tokenAccuracy: symbols > 0 ? Double(right) / Double(symbols) : 0,
                          exactMatch: set.count > 0 ? Double(exact) / Double(set.count) : 0, predictions: predictions, symbols: symbols)
    }
}
