/// Chunk-level F1 of BIO (IOB2) tag sequences, as the CoNLL shared tasks' `conlleval` script computes
/// it: a chunk is a maximal run `B-X I-X ...` (an `I-X` after `O` or after another type also starts
/// one); a predicted chunk is correct when a true chunk has the same first step, last step and type.
public enum ChunkF1 {
    /// Whether every tag is `O` or `B-`/`I-` followed by a type, so that chunks are defined.
    public static func isBIO(_ tags: [String]) -> Bool {
        tags.allSatisfy { $0 == "O" || (($0.hasPrefix("B-") || $0.hasPrefix("I-")) && $0.count > 2) }
    }

    /// The chunks of one sequence: (first step, last step, type).
    public static func chunks(_ tags: [String]) -> [(start: Int, end: Int, type: Substring)] {
        var chunks: [(start: Int, end: Int, type: Substring)] = []
        var open: (start: Int, type: Substring)? = nil
        for (t, tag) in tags.enumerated() {
            let prefix = tag.prefix(2), type = tag.dropFirst(2)
            let continues = prefix == "I-" && open?.type == type
            if let current = open, !continues {
                chunks.append((current.start, t - 1, current.type))
                open = nil
            }
            if prefix == "B-" || (prefix == "I-" && !continues) { open = (t, type) }
        }
        if let current = open { chunks.append((current.start, tags.count - 1, current.type)) }
        return chunks
    }

    /// Precision, recall and F1 (0 when undefined) over sequences of true and predicted tags.
    public static func score(truth: [[String]], predictions: [[String]]) -> (precision: Double, recall: Double, f1: Double) {
        var correct = 0, found = 0, expected = 0
        for (t, p) in zip(truth, predictions) {
            let trueChunks = chunks(t), predicted = chunks(p)
            expected += trueChunks.count
            found += predicted.count
            let keys = Set(trueChunks.map { "\($0.start):\($0.end):\($0.type)" })
            correct += predicted.filter { keys.contains("\($0.start):\($0.end):\($0.type)") }.count
        }
        let precision = found == 0 ? 0 : Double(correct) / Double(found)
        let recall = expected == 0 ? 0 : Double(correct) / Double(expected)
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall))
    }
}
