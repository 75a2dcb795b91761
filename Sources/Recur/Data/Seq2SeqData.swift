import RecurCore

/// Pairs encoded for an encoder-decoder: source ids, and target ids ending with the end symbol.
public struct Seq2SeqSet: Sendable {
    public var sources: [[Int]]
    /// Per pair, its target's ids then `</s>` (nil for sources alone).
    public var targets: [[Int]]?
    /// The source symbols outside the vocabulary, read as `<unk>`: (line, symbol), in file order.
    public var unknownSources: [(line: Int, symbol: String)]

    public init(sources: [[Int]], targets: [[Int]]?, unknownSources: [(line: Int, symbol: String)] = []) {
        self.sources = sources
        self.targets = targets
        self.unknownSources = unknownSources
    }

    public var count: Int { sources.count }
    public var sourceLengths: [Int] { sources.map(\.count) }

    /// The padded, time-major batch of the given pairs (which must have targets).
    public func batch(_ rows: [Int]) -> Seq2SeqBatch {
        let targets = self.targets!
        let B = rows.count
        let S = rows.map { sources[$0].count }.max() ?? 0, T = rows.map { targets[$0].count }.max() ?? 0
        var source = [Int](repeating: 0, count: S * B), target = [Int](repeating: 0, count: T * B)
        for (b, row) in rows.enumerated() {
            for (t, id) in sources[row].enumerated() { source[t * B + b] = id }
            for (t, id) in targets[row].enumerated() { target[t * B + b] = id }
        }
        return Seq2SeqBatch(source: source, sourceSteps: S, sourceLengths: rows.map { sources[$0].count }, targets: target,
                            targetSteps: T, targetLengths: rows.map { targets[$0].count }, rows: rows)
    }
}

/// Turns text pairs into an encoder-decoder's inputs: the vocabularies fitted on a training set, and
/// the encoding of any set under them.
public enum Seq2SeqData {
    /// The source and target vocabularies of a training set (shared: one vocabulary of both sides,
    /// used for both). The target's (and a shared one's) begins with `<unk>`, `<s>`, `</s>`.
    public static func fit(_ pairs: [TextPair], sourceTokenization: Tokenization, targetTokenization: Tokenization,
                           shared: Bool = false, maxVocabulary: Int? = nil) -> (source: TokenVocabulary, target: TokenVocabulary) {
        let sourceTokens = pairs.map { sourceTokenization.tokens(of: $0.source) }
        let targetTokens = pairs.map { targetTokenization.tokens(of: $0.target ?? "") }
        func withSpecials(_ v: TokenVocabulary) -> TokenVocabulary {
            let specials = [Seq2SeqConfiguration.beginToken, Seq2SeqConfiguration.endToken]
            return TokenVocabulary(tokenization: v.tokenization, tokens: [TokenVocabulary.unknown] + specials + v.tokens.dropFirst().filter { !specials.contains($0) })
        }
        if shared {
            let both = withSpecials(TokenVocabulary(tokenLists: sourceTokens + targetTokens, tokenization: targetTokenization,
                                                    maxSize: maxVocabulary.map { $0 - 2 }))
            return (both, both)
        }
        return (TokenVocabulary(tokenLists: sourceTokens, tokenization: sourceTokenization, maxSize: maxVocabulary),
                withSpecials(TokenVocabulary(tokenLists: targetTokens, tokenization: targetTokenization, maxSize: maxVocabulary.map { $0 - 2 })))
    }

    /// The pairs encoded for a model of `configuration`. Refused with the line: a side with no
    /// tokens, a side over its length limit (when given), a target symbol the model cannot write (an
    /// unknown one when `requireTargets` and the targets are being trained on or scored). A source
    /// symbol outside the vocabulary becomes `<unk>` and is listed in `unknownSources`.
    public static func encode(_ pairs: [TextPair], for configuration: Seq2SeqConfiguration, path: String,
                              maxSourceLength: Int? = nil, maxTargetLength: Int? = nil,
                              requireTargets: Bool = true) throws(DataError) -> Seq2SeqSet {
        let source = configuration.sourceVocabulary, target = configuration.targetVocabulary
        var sources: [[Int]] = [], targets: [[Int]] = [], unknown: [(line: Int, symbol: String)] = []
        for pair in pairs {
            let tokens = source.tokenization.tokens(of: pair.source)
            guard !tokens.isEmpty else { throw DataError(path: path, line: pair.line, "has a source with no \(source.tokenization == .words ? "words" : "symbols")") }
            if let maxSourceLength, tokens.count > maxSourceLength {
                throw DataError(path: path, line: pair.line, "has a source of \(tokens.count) tokens, over --max-source-length \(maxSourceLength)")
            }
            let ids = source.encode(tokens: tokens)
            for (token, id) in zip(tokens, ids) where id == 0 && token != TokenVocabulary.unknown { unknown.append((pair.line, token)) }
            sources.append(ids)
            guard requireTargets else { continue }
            guard let text = pair.target else { throw DataError(path: path, line: pair.line, "has no target") }
            let targetTokens = target.tokenization.tokens(of: text)
            guard !targetTokens.isEmpty else { throw DataError(path: path, line: pair.line, "has a target with no \(target.tokenization == .words ? "words" : "symbols")") }
            if let maxTargetLength, targetTokens.count > maxTargetLength {
                throw DataError(path: path, line: pair.line, "has a target of \(targetTokens.count) tokens, over --max-target-length \(maxTargetLength)")
            }
            targets.append(target.encode(tokens: targetTokens) + [Seq2SeqConfiguration.endID])
        }
        return Seq2SeqSet(sources: sources, targets: requireTargets ? targets : nil, unknownSources: unknown)
    }

    /// The text of target ids (up to the end symbol): characters joined, words with spaces.
    public static func text(of ids: [Int], in vocabulary: TokenVocabulary) -> String {
        let tokens = ids.prefix { $0 != Seq2SeqConfiguration.endID }.map { vocabulary.tokens[$0] }
        return tokens.joined(separator: vocabulary.tokenization == .chars ? "" : " ")
    }
}
