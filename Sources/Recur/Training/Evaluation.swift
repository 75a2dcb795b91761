import RecurCore

/// The loss of a character model on a text, without training.
public enum Evaluation {
    /// The mean negative log-likelihood (nats) of every token after the first, predicted from a zero
    /// state, with the text cut into `streams` contiguous rows run side by side in chunks of `chunk`
    /// steps (the state carried from chunk to chunk). With one stream every token after the first is
    /// predicted; with B streams the last `(N - 1) mod B` are left out and each row starts from zero.
    /// Returns the loss and the number of predicted tokens.
    ///
    /// `rows`: only these of the `streams` streams (a rank's share of a split validation); their
    /// losses are exactly the ones the whole evaluation computes for them, so the shares' sums of
    /// `nats * count` and of `count` give the whole evaluation's figures.
    public static func loss(
        of model: CharRNN<Float>, tokens: [Int], streams: Int = 1, chunk: Int = 256, rows: Range<Int>? = nil
    ) -> (nats: Double, count: Int) {
        precondition(streams > 0 && chunk > 0, "Evaluation: expected positive streams and chunk")
        let rows = rows ?? 0..<streams
        precondition(rows.lowerBound >= 0 && rows.upperBound <= streams, "Evaluation: rows \(rows) outside 0..<\(streams)")
        let length = (tokens.count - 1) / streams
        guard length > 0, !rows.isEmpty else { return (0, 0) }
        let first = rows.lowerBound, streams = rows.count
        let mode = model.enterInference()
        defer { model.restore(mode) }
        var state: RecurrentState<Float>? = nil
        var total = 0.0
        var start = 0
        while start < length {
            let steps = min(chunk, length - start)
            var inputs = [Int](repeating: 0, count: steps * streams)
            var targets = inputs
            for t in 0..<steps {
                for b in 0..<streams {
                    inputs[t * streams + b] = tokens[(first + b) * length + start + t]
                    targets[t * streams + b] = tokens[(first + b) * length + start + t + 1]
                }
            }
            let (logits, final) = model.forward(inputs, steps: steps, batch: streams, state: state)
            total += SoftmaxCrossEntropy.compute(logits: logits, targets: targets).loss * Double(steps * streams)
            state = final
            start += steps
        }
        let count = length * streams
        return (total / Double(count), count)
    }
}
