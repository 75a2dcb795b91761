import Foundation
import Recur

/// `--task seq2seq`: an encoder-decoder on source-target pairs.
enum Seq2SeqRecipe: SequenceTaskRecipe {
    static let kind = TaskKind.seq2seq
    static let itemName = "tokens"
    static let wholeSequences = "--task seq2seq"
    static let monitor = Monitor(metric: "exact_match", higherIsBetter: true)

    static func read(_ path: String, text: String, command: TrainCommand) throws -> [TextPair] {
        try TrainCommand.readPairs(path, text: text, format: command.format, requireTargets: true)
    }

    static func fit(_ examples: [TextPair], settings: TrainSettings, path: String) throws(DataError) -> Seq2SeqConfiguration {
        let sourceTokens = Tokenization(rawValue: settings.tokens) ?? .chars
        let targetTokens = Tokenization(rawValue: settings.targetTokens) ?? sourceTokens
        let (source, target) = Seq2SeqData.fit(examples, sourceTokenization: sourceTokens, targetTokenization: targetTokens,
                                               shared: settings.sharedVocabulary, maxVocabulary: settings.maxVocab > 0 ? settings.maxVocab : nil)
        let longest = examples.map { targetTokens.tokens(of: $0.target ?? "").count }.max() ?? 1
        let configuration = Seq2SeqConfiguration(
            sourceVocabulary: source, targetVocabulary: target, cell: settings.cellKind!, encoderLayers: settings.layers,
            decoderLayers: settings.decoderLayers > 0 ? settings.decoderLayers : settings.layers, hiddenSize: settings.hidden,
            embeddingSize: settings.embedding, bidirectional: settings.bidirectional, attention: AttentionKind(rawValue: settings.attention) ?? .bahdanau,
            dropout: settings.dropout, initialization: settings.initializationKind!,
            maxTargetLength: settings.maxTargetLength > 0 ? settings.maxTargetLength : min(2 * longest, 1 << 20),
            limitsTargets: settings.maxTargetLength > 0, maxSourceLength: settings.maxSourceLength > 0 ? settings.maxSourceLength : nil)
        if let problem = configuration.problem { throw DataError(path: path, line: 0, "cannot make this model: \(problem)") }
        return configuration
    }

    static func encode(_ examples: [TextPair], for configuration: Seq2SeqConfiguration, path: String) throws(DataError) -> Seq2SeqSet {
        try Seq2SeqData.encode(examples, for: configuration, path: path, maxSourceLength: configuration.maxSourceLength,
                               maxTargetLength: configuration.limitsTargets ? configuration.maxTargetLength : nil)
    }

    static func count(_ encoded: Seq2SeqSet) -> Int { encoded.count }
    static func problem(_ configuration: Seq2SeqConfiguration) -> String? { configuration.problem }

    static func makeTask(model: Seq2Seq<Float>, training: Seq2SeqSet, validation: Seq2SeqSet?, settings: TrainSettings, batchSize: Int) -> Seq2SeqTask {
        model.teacherForcing = settings.teacherForcing
        return Seq2SeqTask(model: model, training: training, validation: validation, batchSize: batchSize, seed: settings.seed)
    }

    static func describe(_ c: Seq2SeqConfiguration, settings: TrainSettings) -> String {
        "\(c.cell.rawValue) encoder \(c.encoderLayers)x\(c.hiddenSize)\(c.bidirectional ? " bidirectional" : ""), decoder \(c.decoderLayers)x\(c.hiddenSize), "
            + "attention \(c.attention.rawValue), \(c.sourceVocabulary.count) source / \(c.targetVocabulary.count) target tokens (embedding \(c.embeddingSize))"
            + (settings.teacherForcing < 1 ? ", teacher forcing \(settings.teacherForcing)" : "")
    }

    static func describeValidation(_ result: ValidationResult) -> String {
        String(format: "validation loss %.4f  token accuracy %.4f  exact match %.4f", result.loss,
               result.metrics["token_accuracy"] ?? 0, result.metrics["exact_match"] ?? 0)
    }
}

extension TrainCommand {
    /// Reads a file of pairs (TSV, also as .txt as the Tatoeba files come, or JSON Lines), or throws the
    /// one-line error for it.
    static func readPairs(_ path: String, text given: String? = nil, format: LabelledSequenceFormat?, requireTargets: Bool) throws -> [TextPair] {
        let text = try given ?? readText(path)
        let fromName = URL(fileURLWithPath: path).pathExtension.lowercased() == "txt" ? .tsv : LabelledSequenceFormat(path: path)
        guard let chosen = format ?? fromName else {
            throw UserError("\(path): cannot tell the format from the extension; name it .tsv (or .txt) or .jsonl, or give --format tsv|jsonl")
        }
        do {
            return try PairFile.parse(text, format: chosen, path: path, requireTargets: requireTargets)
        } catch {
            throw UserError(error.description)
        }
    }
}
