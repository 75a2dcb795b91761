import Foundation
import Recur

/// `--task lm` on JSON Lines: a language model of independent sequences, each from a begin to an end
/// symbol, conditioned on the lines' "condition" labels or "features" when they have them.
enum GenerationRecipe: SequenceTaskRecipe {
    static let kind = TaskKind.lm
    static let itemName = "tokens"
    static let wholeSequences = "--task lm on JSON Lines"
    static let monitor = Monitor.loss

    static func read(_ path: String, text: String, command: TrainCommand) throws -> [ConditionedText] {
        try TrainCommand.readConditionedTexts(path, text: text)
    }

    static func fit(_ examples: [ConditionedText], settings: TrainSettings, path: String) throws(DataError) -> CharRNNConfiguration {
        let fitted = try GenerationData.fit(examples, ignoreConditions: settings.unconditioned, path: path)
        if settings.conditionEveryStep && fitted.condition == nil {
            throw DataError(path: path, line: 0, "has no \"condition\" or \"features\"; --condition-every-step needs them")
        }
        return CharRNNConfiguration(
            cell: settings.cellKind!, layers: settings.layers, hiddenSize: settings.hidden, embeddingSize: settings.embedding,
            vocabulary: fitted.vocabulary, dropout: settings.dropout, initialization: settings.initializationKind!,
            sequenceBoundaries: true, condition: fitted.condition, conditionEveryStep: settings.conditionEveryStep)
    }

    static func encode(_ examples: [ConditionedText], for configuration: CharRNNConfiguration, path: String) throws(DataError) -> GenerationSet {
        try GenerationData.encode(examples, for: configuration, path: path)
    }

    static func count(_ encoded: GenerationSet) -> Int { encoded.count }

    static func checkFits(_ configuration: CharRNNConfiguration, training: GenerationSet, batchSize: Int) throws {
        try SystemMemory.checkFits(configuration, batch: batchSize, steps: training.lengths.max() ?? 1, stepsName: "longest sequence")
    }
    static func problem(_ configuration: CharRNNConfiguration) -> String? { configuration.problem }

    static func makeTask(model: CharRNN<Float>, training: GenerationSet, validation: GenerationSet?,
                         settings: TrainSettings, batchSize: Int) -> GenerationTask {
        GenerationTask(model: model, training: training, validation: validation, batchSize: batchSize, seed: settings.seed)
    }

    static func describe(_ c: CharRNNConfiguration, settings: TrainSettings) -> String {
        "\(c.cell.rawValue) \(c.layers)x\(c.hiddenSize), \(c.vocabulary.count) symbols (embedding \(c.embeddingSize)), "
            + (c.condition.map { "conditioned on \(GenerationData.describe($0))\(c.conditionEveryStep ? " (also at every step)" : "")" } ?? "unconditioned")
    }

    static func describeValidation(_ result: ValidationResult) -> String {
        String(format: "validation %.4f nats/symbol (%.4f bits/symbol)", result.loss, result.loss / Foundation.log(2))
    }
}

extension TrainCommand {
    /// Reads a file of conditioned texts, or throws the one-line error for it.
    static func readConditionedTexts(_ path: String, text given: String? = nil) throws -> [ConditionedText] {
        let text = try given ?? readText(path)
        do {
            return try ConditionedTextFile.parse(text, path: path)
        } catch {
            throw UserError(error.description)
        }
    }
}
