import Foundation

/// Beam search over a decoder, for several inputs at once: each input keeps its `beam` likeliest
/// unfinished prefixes; at every step each prefix is extended by every symbol, the `2 * beam` best
/// extensions (by summed log-probability) are taken in order, those ending in the end symbol among the
/// first `beam` of them become finished hypotheses and the others fill the input's beams again. An input stops when it has `beam`
/// finished hypotheses; after `maxLength` steps its unfinished prefixes count as hypotheses too. The
/// answer is the hypothesis of highest `logP / length^lengthPenalty` (length: its symbols, the end
/// symbol included); with penalty 0, of highest log-probability. Ties go to the earlier candidate
/// (lower beam, then lower symbol id), so a beam of 1 is greedy decoding exactly.
public enum BeamSearch {
    /// The best hypothesis of one input.
    public struct Result: Equatable, Sendable {
        /// Its symbols, without the end symbol.
        public var ids: [Int]
        public var logProbability: Double
        public var score: Double
        public var finished: Bool
        /// Per symbol of `ids`, the row (of the `inputs * beam` rows) whose step produced it.
        public var rows: [Int]
    }

    /// The `beam` best hypotheses of each of `inputs` inputs, grown one symbol at a time; returns the best of each.
    /// - Parameters:
    ///   - inputs: the inputs decoded together; each has `beam` rows.
    ///   - K: the beam: the hypotheses kept per input.
    ///   - V: the vocabulary: the symbols a step scores.
    ///   - begin: the symbol every hypothesis starts from.
    ///   - end: the symbol that finishes a hypothesis (not part of its `ids`).
    ///   - maxLength: the most symbols a hypothesis writes before it is cut.
    ///   - lengthPenalty: A: hypotheses are ranked by log-probability / length^A (the end symbol counted).
    ///   - advance: given the symbols the `inputs * beam` rows feed at this step and, per row, the row
    ///     whose state it continues (the caller reorders its state rows first), returns the rows'
    ///     log-probabilities of the next symbol, `[inputs * beam * vocabulary]`.
    public static func run(inputs: Int, beam K: Int, vocabulary V: Int, begin: Int, end: Int, maxLength: Int, lengthPenalty: Double,
                           advance: (_ ids: [Int], _ parents: [Int]) -> [Double]) -> [Result] {
        precondition(inputs > 0 && K > 0 && V > 1 && maxLength > 0, "BeamSearch: expected inputs, a beam, a vocabulary and a length")
        struct Prefix { var ids: [Int]; var logP: Double; var rows: [Int] }
        func normalised(_ logP: Double, length: Int) -> Double {
            lengthPenalty == 0 ? logP : logP / Foundation.pow(Double(max(length, 1)), lengthPenalty)
        }
        var beams: [[Prefix]] = (0..<inputs).map { _ in [Prefix(ids: [], logP: 0, rows: [])] }
        var finished: [[Result]] = Array(repeating: [], count: inputs)
        var done = [Bool](repeating: false, count: inputs)
        var fed = [Int](repeating: begin, count: inputs * K)
        var parents = Array(0..<(inputs * K))
        for _ in 0..<maxLength {
            let logP = advance(fed, parents)
            precondition(logP.count == inputs * K * V, "BeamSearch: expected \(inputs * K * V) log-probabilities, got \(logP.count)")
            for b in 0..<inputs where !done[b] {
                // The 2K best extensions of the live prefixes, best first (ties: lower beam, then lower
                // symbol): scanned in (beam, symbol) order into a short sorted list, an extension
                // moving only past strictly worse ones.
                var candidates: [(total: Double, k: Int, v: Int)] = []
                candidates.reserveCapacity(2 * K + 1)
                for (k, prefix) in beams[b].enumerated() {
                    let row = (b * K + k) * V
                    for v in 0..<V where logP[row + v] > -.infinity {
                        let total = prefix.logP + logP[row + v]
                        if candidates.count == 2 * K && !(total > candidates[2 * K - 1].total) { continue }
                        var position = candidates.count
                        while position > 0 && total > candidates[position - 1].total { position -= 1 }
                        candidates.insert((total, k, v), at: position)
                        if candidates.count > 2 * K { candidates.removeLast() }
                    }
                }
                var next: [Prefix] = []
                for (rank, candidate) in candidates.enumerated() {
                    let prefix = beams[b][candidate.k], row = b * K + candidate.k
                    if candidate.v == end {
                        // An ending ranked below the beam's width would not have been kept: it is not taken.
                        guard rank < K else { continue }
                        finished[b].append(Result(ids: prefix.ids, logProbability: candidate.total,
                                                  score: normalised(candidate.total, length: prefix.ids.count + 1), finished: true, rows: prefix.rows))
                    } else if next.count < K {
                        next.append(Prefix(ids: prefix.ids + [candidate.v], logP: candidate.total, rows: prefix.rows + [row]))
                    }
                    if next.count == K && finished[b].count >= K { break }
                }
                beams[b] = next
                if finished[b].count >= K || next.isEmpty { done[b] = true }
            }
            if !done.contains(false) { break }
            for b in 0..<inputs {
                for k in 0..<K {
                    let r = b * K + k
                    if !done[b] && k < beams[b].count {
                        fed[r] = beams[b][k].ids.last!
                        parents[r] = beams[b][k].rows.last!
                    } else {
                        fed[r] = end
                        parents[r] = b * K
                    }
                }
            }
        }
        return (0..<inputs).map { b in
            var hypotheses = finished[b]
            if !done[b] || hypotheses.isEmpty {
                hypotheses += beams[b].map { Result(ids: $0.ids, logProbability: $0.logP, score: normalised($0.logP, length: $0.ids.count),
                                                    finished: false, rows: $0.rows) }
            }
            var best = hypotheses[0]
            for hypothesis in hypotheses.dropFirst() where hypothesis.score > best.score { best = hypothesis }
            return best
        }
    }
}
