import Foundation
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
        let mode = enterInference()
        defer { restore(mode) }
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

extension Seq2Seq {
    /// Beam search (`BeamSearch`) for a batch of sources: the `B * beam` rows run as one decoder batch,
    /// their states reordered at every step.
    public func beamSearch(source: [Int], steps: Int, lengths: [Int], beam K: Int, lengthPenalty: Double, maxLength: Int,
                           keepAttention: Bool = false) -> Decoded {
        let mode = enterInference()
        defer { restore(mode) }
        let B = lengths.count, rows = B * K, V = configuration.targetVocabulary.count
        // Each source encoded once, its encoding repeated for its K rows (row b*K + k reads source b).
        let encoded = encode(source: source, steps: steps, lengths: lengths).repeatingRows(K)
        var states = encoded.initial
        var weights: [Tensor<Scalar>] = []  // per step [rows, S]
        let results = BeamSearch.run(inputs: B, beam: K, vocabulary: V, begin: Seq2SeqConfiguration.beginID, end: Seq2SeqConfiguration.endID,
                                     maxLength: maxLength, lengthPenalty: lengthPenalty) { ids, parents in
            if parents != Array(0..<rows) {
                for l in states.indices {
                    states[l].h = Self.gatherRows(states[l].h, parents)
                    if let c = states[l].c { states[l].c = Self.gatherRows(c, parents) }
                }
            }
            let (output, record) = step(ids, states: &states, encoded)
            if keepAttention, let w = record.attention?.weights { weights.append(w) }
            let logits = head.apply(output)
            var logP = [Double](repeating: 0, count: rows * V)
            logits.withUnsafeBufferPointer { z in
                logP.withUnsafeMutableBufferPointer { out in
                    let z = z.baseAddress!, out = out.baseAddress!
                    // Rows are independent: shares of them on the compute threads.
                    ComputeThreads.forEachShare(count: rows, minimumShare: 16) { _, share in
                        for r in share {
                            let logTotal = logSumExp(z + r * V, count: V)
                            for v in 0..<V { out[r * V + v] = Double(z[r * V + v]) - logTotal }
                        }
                    }
                }
            }
            return logP
        }
        var maps: [[[Float]]]? = nil
        if keepAttention && self.attention != nil {
            maps = results.enumerated().map { b, result in
                result.rows.enumerated().map { t, row in
                    let S = weights[t].shape[1]
                    return (0..<lengths[b]).map { Float(weights[t].scalars[row * S + $0]) }
                }
            }
        }
        return Decoded(ids: results.map { $0.ids }, attention: maps)
    }

    /// Rows `[N, ...]` taken in the order `rows`.
    static func gatherRows(_ t: Tensor<Scalar>, _ rows: [Int]) -> Tensor<Scalar> {
        let H = t.shape[1]
        var out = Tensor<Scalar>(shape: [rows.count, H])
        t.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for (i, row) in rows.enumerated() { (target.baseAddress! + i * H).update(from: source.baseAddress! + row * H, count: H) }
            }
        }
        return out
    }
}

extension Seq2Seq.Encoded {
    /// The encoding of each source read by `k` consecutive decoder rows, for decoding only: the
    /// initial states repeated, the attention memory shared (its keys are not copied), and what the
    /// backward pass needs not kept.
    func repeatingRows(_ k: Int) -> Seq2Seq.Encoded {
        guard k > 1 else { return self }
        let order = (0..<(lengths.count * k)).map { $0 / k }
        return Seq2Seq.Encoded(outputs: outputs, lengths: order.map { lengths[$0] }, final: final, bridgeInputs: [],
                               initial: initial.map { RecurrentState(h: Seq2Seq.gatherRows($0.h, order), c: $0.c.map { Seq2Seq.gatherRows($0, order) }) },
                               memory: memory?.sharing(order))
    }
}
