import Foundation
import Recur

/// `recur eval` and `recur predict` of an encoder-decoder.
extension Seq2Seq where Scalar == Float {
    /// The tokens of a text as this model's target side reads them, joined as it writes them.
    func normalisedTarget(_ text: String) -> String {
        let vocabulary = configuration.targetVocabulary
        return vocabulary.tokenization.tokens(of: text).joined(separator: vocabulary.tokenization == .chars ? "" : " ")
    }
}

/// One `warning:` line for the source symbols outside the model's vocabulary (read as `<unk>`).
func warnUnknownSources(_ set: Seq2SeqSet, path: String) {
    guard let first = set.unknownSources.first else { return }
    let more = set.unknownSources.count - 1
    FileHandle.standardError.write(Data(("warning: \(path):\(first.line): the source symbol '\(first.symbol)' was not seen in training; read as <unk>"
        + (more > 0 ? " (and \(more) more)" : "") + "\n").utf8))
}

extension EvalCommand {
    /// Loss, token accuracy, exact match, BLEU and chrF of an encoder-decoder on pairs.
    func evaluateSeq2Seq(_ loaded: ModelCheckpoint.Loaded<Seq2Seq<Float>>) throws {
        let model = loaded.model
        let pairs = try TrainCommand.readPairs(data, format: format, requireTargets: true)
        let set: Seq2SeqSet
        do {
            set = try Seq2SeqData.encode(pairs, for: model.configuration, path: data)
        } catch {
            throw UserError(error.description)
        }
        warnUnknownSources(set, path: data)
        let e = Seq2SeqTask.evaluate(model, on: set)
        let hypotheses = e.predictions.map { Seq2SeqData.text(of: $0, in: model.configuration.targetVocabulary) }
        let references = pairs.map { model.normalisedTarget($0.target ?? "") }
        let bleu = TranslationMetrics.bleu(hypotheses: hypotheses, references: references)
        let chrF = TranslationMetrics.chrF(hypotheses: hypotheses, references: references)
        if json {
            let report = Seq2SeqReport(task: "seq2seq", pairs: set.count, loss: e.loss, exactMatch: e.exactMatch,
                                       tokenAccuracy: e.tokenAccuracy, bleu: bleu, chrf: chrF)
            print(try jsonLine(report))
            return
        }
        print(String(format: "%@: %d pairs, loss %.6f, exact match %.4f, token accuracy %.4f, BLEU %.2f, chrF %.2f",
                     data, set.count, e.loss, e.exactMatch, e.tokenAccuracy, bleu, chrF))
    }
}

/// `recur eval --json` for an encoder-decoder.
struct Seq2SeqReport: Encodable {
    var task: String
    var pairs: Int
    var loss: Double
    var exactMatch: Double
    var tokenAccuracy: Double
    var bleu: Double
    var chrf: Double

    enum CodingKeys: String, CodingKey {
        case task, pairs, loss, bleu, chrf
        case exactMatch = "exact_match"
        case tokenAccuracy = "token_accuracy"
    }
}

extension PredictCommand {
    /// What an encoder-decoder writes for each source: `{"prediction": "..."}` per line.
    func predictSeq2Seq(_ loaded: ModelCheckpoint.Loaded<Seq2Seq<Float>>) throws {
        let model = loaded.model, configuration = model.configuration
        guard beam >= 1 && beam <= 1000 else { throw UserError("--beam: must be an integer in 1...1000, got \(beam)") }
        guard lengthPenalty.isFinite && lengthPenalty >= 0 && lengthPenalty <= 10 else {
            throw UserError("--length-penalty: must be a number in [0, 10], got \(lengthPenalty)")
        }
        if let maxLength, !(maxLength >= 1 && maxLength <= 1 << 20) { throw UserError("--max-length: must be an integer in 1...1048576, got \(maxLength)") }
        let mapFormat = try attentionMap.map { path -> String in
            let suffix = URL(fileURLWithPath: path).pathExtension.lowercased()
            guard suffix == "svg" || suffix == "html" else { throw UserError("--attention-map \(path): name it .svg or .html") }
            guard configuration.attention != .none else { throw UserError("--attention-map: \(checkpoint) has no attention (--attention none)") }
            return suffix
        }
        let pairs = try TrainCommand.readPairs(data, format: format, requireTargets: false)
        let set: Seq2SeqSet
        do {
            set = try Seq2SeqData.encode(pairs, for: configuration, path: data, requireTargets: false)
        } catch {
            throw UserError(error.description)
        }
        warnUnknownSources(set, path: data)
        let limit = maxLength ?? configuration.maxTargetLength
        var predictions = [[Int]](repeating: [], count: set.count)
        var attention = [[[Float]]](repeating: [], count: set.count)
        for rows in SequenceBatches.inOrder(lengths: set.sourceLengths, batchSize: 64) {
            let S = rows.map { set.sources[$0].count }.max()!, B = rows.count
            var source = [Int](repeating: 0, count: S * B)
            for (b, row) in rows.enumerated() { for (t, id) in set.sources[row].enumerated() { source[t * B + b] = id } }
            let lengths = rows.map { set.sources[$0].count }
            let decoded = beam == 1
                ? model.greedy(source: source, steps: S, lengths: lengths, maxLength: limit, keepAttention: mapFormat != nil)
                : model.beamSearch(source: source, steps: S, lengths: lengths, beam: beam, lengthPenalty: lengthPenalty,
                                   maxLength: limit, keepAttention: mapFormat != nil)
            for (b, row) in rows.enumerated() {
                predictions[row] = decoded.ids[b]
                if let weights = decoded.attention { attention[row] = weights[b] }
            }
        }
        var output = ""
        for ids in predictions {
            output += try jsonLine(["prediction": Seq2SeqData.text(of: ids, in: configuration.targetVocabulary)]) + "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if let path = attentionMap, let mapFormat {
            let target = configuration.targetVocabulary, source = configuration.sourceVocabulary
            let panels = (0..<min(8, set.count)).map { row in
                AttentionMap.Panel(source: source.tokenization.tokens(of: pairs[row].source),
                                   target: predictions[row].map { target.tokens[$0] }, weights: attention[row])
            }
            let text = mapFormat == "html" ? AttentionMap.html(panels) : AttentionMap.svg(panels)
            do {
                try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: path))
            } catch {
                throw UserError("--attention-map \(error)", kind: .ioError)
            }
        }
    }
}
