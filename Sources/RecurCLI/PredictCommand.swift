import ArgumentParser
import Foundation
import Recur

/// `recur predict`: a trained classifier's label for each input.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a trained classifier: one JSON line per input sequence.",
        discussion: """
        Each line: {"label": "...", "probabilities": {"label": p, ...}}, in the order of --data. The \\
        inputs may omit their labels; those they give are ignored. For a character model use recur sample.
        """)

    @Argument(help: "A classifier checkpoint written by recur train --task classify.") var checkpoint: String
    @Option(help: "The sequences to label: JSON Lines, TSV (label<TAB>text, or text alone) or .ts.") var data: String
    @OptionGroup var sequenceFormat: SequenceFormatOptions
    @OptionGroup var compute: ComputeOptions
    @Option(name: .customLong("tag-column"), help: "CoNLL input (tag): the column holding the tag, from 1; a line may give the token alone. [default: the last]") var tagColumn: Int?
    var format: LabelledSequenceFormat? { sequenceFormat.format }
    @Option(help: "seq2seq: the beam width; 1 decodes greedily.") var beam: Int = 1
    @Option(name: .customLong("length-penalty"), help: "seq2seq beam search: a finished hypothesis scores its log-probability / length^A.")
    var lengthPenalty: Double = 1
    @Option(name: .customLong("max-length"), help: "seq2seq: write at most N symbols per source. [default: the model's limit]") var maxLength: Int?
    @Option(name: .customLong("attention-map"), help: "seq2seq: draw the attention weights of the first inputs (up to 8) into this .svg or .html file.")
    var attentionMap: String?
    @Option(help: "forecast: the steps to forecast after the last row of --data. [default: the model's horizon]") var horizon: Int?
    @Option(help: "forecast: draw the history, the forecast and its interval into this .svg file.") var plot: String?

    func run() throws {
        try compute.apply()
        let file = try readCheckpointFile(checkpoint)
        let task = try checkpointTask(file, path: checkpoint)
        if task == Seq2Seq<Float>.task { return try predictSeq2Seq(try loadSeq2Seq(file, path: checkpoint, engine: compute.engine)) }
        if task == Forecaster<Float>.task { return try predictForecast(try loadForecaster(file, path: checkpoint, engine: compute.engine)) }
        for (name, given) in [("horizon", horizon != nil), ("plot", plot != nil)] where given {
            throw UserError("--\(name): applies to a forecasting model; \(checkpoint) is a '\(task)' model")
        }
        for (name, given) in [("beam", beam != 1), ("length-penalty", lengthPenalty != 1), ("max-length", maxLength != nil),
                              ("attention-map", attentionMap != nil)] where given {
            throw UserError("--\(name): applies to a seq2seq model; \(checkpoint) is a '\(task)' model")
        }
        if task == SequenceTagger<Float>.task { return try predictTags(try loadTagger(file, path: checkpoint, engine: compute.engine)) }
        guard task == SequenceClassifier<Float>.task else {
            throw UserError("\(checkpoint): is a '\(task)' model; recur predict labels sequences with a classifier (for a character model, use recur sample)")
        }
        let loaded = try loadClassifier(file, path: checkpoint, engine: compute.engine)
        let configuration = loaded.model.configuration
        var examples = try TrainCommand.readSequences(data, format: format, requireLabels: false)
        for index in examples.indices { examples[index].label = nil }
        let encoded: EncodedSequences
        do {
            encoded = try ClassificationData.encode(examples, for: configuration, path: data, requireLabels: false)
        } catch {
            throw UserError(error.description)
        }
        let evaluation = ClassificationTask.evaluate(loaded.model, on: encoded)
        var output = ""
        for (prediction, probabilities) in zip(evaluation.predictions, evaluation.probabilities) {
            let line = Prediction(label: configuration.labels[prediction],
                                  probabilities: Dictionary(uniqueKeysWithValues: zip(configuration.labels, probabilities)))
            output += try jsonLine(line) + "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

extension PredictCommand {
    /// A tag for every step of every input: `{"tags": [...]}` per line.
    func predictTags(_ loaded: ModelCheckpoint.Loaded<SequenceTagger<Float>>) throws {
        let configuration = loaded.model.configuration
        var examples = try TrainCommand.readTaggedSequences(data, format: format, characters: configuration.vocabulary?.tokenization == .chars,
                                                            tagColumn: tagColumn, requireTags: false)
        for index in examples.indices { examples[index].tags = nil }
        let encoded: EncodedSequences
        do {
            encoded = try TaggingData.encode(examples, for: configuration, path: data, requireTags: false)
        } catch {
            throw UserError(error.description)
        }
        let evaluation = TaggingTask.evaluate(loaded.model, on: encoded)
        var output = ""
        for predicted in evaluation.predictions {
            output += try jsonLine(["tags": predicted.map { configuration.tags[$0] }]) + "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

/// One line of `recur predict`.
struct Prediction: Encodable {
    var label: String
    var probabilities: [String: Double]
}
