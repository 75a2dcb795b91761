import RecurCore

extension Seq2Seq {
    /// What a decoder wrote for each source: its symbols (without `</s>`), and per written step the
    /// attention weights over the source's real steps (when the model attends and they were asked for).
    public struct Decoded: Sendable {
        public var ids: [[Int]]
        public var attention: [[[Float]]]?
    }

    /// Greedy decoding of a batch of sources: at every step the likeliest symbol, fed back, until
    /// `</s>` or `maxLength` symbols. Source ids `[S * B]` time-major with B lengths in 1...S.
    public func greedy(source: [Int], steps: Int, lengths: [Int], maxLength: Int, keepAttention: Bool = false) -> Decoded {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        let B = lengths.count
        let encoded = encode(source: source, steps: steps, lengths: lengths)
        var states = encoded.initial
        var previous = [Int](repeating: Seq2SeqConfiguration.beginID, count: B)
        var ids = [[Int]](repeating: [], count: B), finished = [Bool](repeating: false, count: B)
        var attention: [[[Float]]]? = keepAttention && self.attention != nil ? [[[Float]]](repeating: [], count: B) : nil
        for _ in 0..<maxLength {
            let (output, record) = step(previous, states: &states, encoded)
            let logits = head.apply(output), V = logits.shape[1]
            logits.withUnsafeBufferPointer { z in
                for b in 0..<B {
                    var best = 0
                    for v in 1..<V where z[b * V + v] > z[b * V + best] { best = v }
                    previous[b] = best
                }
            }
            for b in 0..<B where !finished[b] {
                if previous[b] == Seq2SeqConfiguration.endID {
                    finished[b] = true
                } else {
                    ids[b].append(previous[b])
                    if attention != nil, let weights = record.attention?.weights {
                        let S = weights.shape[1]
                        attention![b].append((0..<lengths[b]).map { Float(weights.scalars[b * S + $0]) })
                    }
                }
            }
            if !finished.contains(false) { break }
        }
        return Decoded(ids: ids, attention: attention)
    }
}
