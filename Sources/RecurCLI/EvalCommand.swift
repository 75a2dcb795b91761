import ArgumentParser
import Foundation
import Recur

/// `recur eval`: the loss of a trained model on a text.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a model on data: a character model's loss per character, a classifier's accuracy.",
        discussion: """
        Character model (task lm): the model reads the whole text from a zero state (in chunks, the \
        state carried) and predicts every character after the first; the loss is the mean negative \
        log-likelihood of those. JSON: task, chars, loss_nats, bits_per_char, perplexity.

        Model of sequences (task lm, trained on JSON Lines): every line of --data (JSON Lines) from its \
        begin symbol; the loss is the mean negative log-likelihood of its characters and its end symbol, \
        overall and per "condition" label of the lines. JSON: task, sequences, symbols, loss, \
        bits_per_symbol, perplexity, per_condition (label -> sequences, symbols, loss).

        Encoder-decoder (task seq2seq): every pair of --data (TSV or JSON Lines). JSON: task, pairs, \
        loss, exact_match, token_accuracy (teacher-forced), bleu and chrf (sacreBLEU's corpus BLEU-4 \
        and chrF of the greedy decodings against the targets as the model tokenizes them).

        Classifier (task classify): every labelled sequence of --data. JSON: task, examples, loss, \
        accuracy, macro_f1, confusion (true label -> predicted label -> count).
        """)

    @Argument(help: "A checkpoint written by recur train.") var checkpoint: String
    @Option(help: "The data to evaluate on: a UTF-8 text (lm) or labelled sequences (classify).") var data: String
    @Option(help: "Steps per chunk (lm).") var chunk: Int = 1000
    @OptionGroup var sequenceFormat: SequenceFormatOptions
    @OptionGroup var compute: ComputeOptions
    var format: LabelledSequenceFormat? { sequenceFormat.format }
    @Option(name: .customLong("tag-column"), help: "CoNLL input (tag): the column holding the tag, from 1. [default: the last]") var tagColumn: Int?
    @Flag(help: "Print one JSON line.") var json = false
    @Option(name: .customLong("test-size"), help: "forecast: forecast the file's last N rows from those before them. [default: the model's --test-size]")
    var testSize: Int?
    @Option(help: "forecast: average over K forecast origins, one row apart, the last N rows before the end. [default: 1]") var rolling: Int = 1

    func run() throws {
        guard chunk > 0 && chunk <= 1 << 20 else { throw UserError("--chunk: must be an integer in 1...1048576, got \(chunk)") }
        try compute.apply()
        let file = try readCheckpointFile(checkpoint)
        switch try checkpointTask(file, path: checkpoint) {
        case SequenceClassifier<Float>.task: return try evaluateClassifier(try loadClassifier(file, path: checkpoint, engine: compute.engine))
        case SequenceTagger<Float>.task: return try evaluateTagger(try loadTagger(file, path: checkpoint, engine: compute.engine))
        case Seq2Seq<Float>.task: return try evaluateSeq2Seq(try loadSeq2Seq(file, path: checkpoint, engine: compute.engine))
        case Forecaster<Float>.task: return try evaluateForecast(try loadForecaster(file, path: checkpoint, engine: compute.engine))
        default: break
        }
        for (name, given) in [("test-size", testSize != nil), ("rolling", rolling != 1)] where given {
            throw UserError("--\(name): applies to a forecasting model")
        }
        let loaded = try loadCheckpoint(file, path: checkpoint, engine: compute.engine)
        if loaded.configuration.sequenceBoundaries { return try evaluateSequences(loaded) }
        let text: String
        do {
            text = try TextFile.read(data)
        } catch {
            throw textFileError(data, error)
        }
        let ids = try encode(text, with: loaded.configuration.vocabulary, what: data)
        guard ids.count >= 2 else { throw UserError("\(data): has \(ids.count) character; at least two are needed to predict one") }
        let (nats, count) = Evaluation.loss(of: loaded.model, tokens: ids, streams: 1, chunk: chunk)
        let bits = nats / Foundation.log(2)
        let perplexity = Foundation.exp(nats)
        if json {
            print("{\"task\": \"lm\", \"chars\": \(count), \"loss_nats\": \(nats), \"bits_per_char\": \(bits), \"perplexity\": \(perplexity)}")
        } else {
            print(String(format: "%@: %d characters predicted, loss %.6f nats/char, %.6f bits/char, perplexity %.4f",
                         data, count, nats, bits, perplexity))
        }
    }

    private func evaluateClassifier(_ loaded: ModelCheckpoint.Loaded<SequenceClassifier<Float>>) throws {
        let configuration = loaded.model.configuration
        let examples = try TrainCommand.readSequences(data, format: format, requireLabels: true)
        let encoded: EncodedSequences
        do {
            encoded = try ClassificationData.encode(examples, for: configuration, path: data)
        } catch {
            throw UserError(error.description)
        }
        let evaluation = ClassificationTask.evaluate(loaded.model, on: encoded)
        let metrics = evaluation.metrics
        let labels = configuration.labels
        if json {
            var confusion: [String: [String: Int]] = [:]
            for (t, row) in metrics.confusion.enumerated() {
                confusion[labels[t]] = Dictionary(uniqueKeysWithValues: row.enumerated().map { (labels[$0.offset], $0.element) })
            }
            let object = ClassifierReport(task: "classify", examples: encoded.count, loss: evaluation.loss, accuracy: metrics.accuracy,
                                          macroF1: metrics.macroF1, confusion: confusion)
            print(try jsonLine(object))
            return
        }
        print(String(format: "%@: %d sequences, loss %.6f, accuracy %.4f, macro-F1 %.4f", data, encoded.count,
                     evaluation.loss, metrics.accuracy, metrics.macroF1))
        print("confusion matrix (rows: true label, columns: predicted):")
        let width = max(5, labels.map(\.count).max() ?? 5)
        func pad(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(pad("") + "  " + labels.map(pad).joined(separator: " "))
        for (t, row) in metrics.confusion.enumerated() {
            print(pad(labels[t]) + "  " + row.map { pad(String($0)) }.joined(separator: " "))
        }
        let f1 = metrics.f1
        print("per class F1: " + labels.enumerated().map { String(format: "%@ %.4f", $0.element, f1[$0.offset]) }.joined(separator: ", "))
    }
}

extension EvalCommand {
    /// A model of sequences' loss on JSON Lines texts, overall and per condition label.
    func evaluateSequences(_ loaded: CharRNNCheckpoint.Loaded) throws {
        if let format, format != .jsonl { throw UserError("--format \(format.rawValue): a model of sequences reads JSON Lines (--format jsonl)") }
        let texts = try TrainCommand.readConditionedTexts(data)
        let set: GenerationSet
        do {
            set = try GenerationData.encode(texts, for: loaded.configuration, path: data)
        } catch {
            throw UserError(error.description)
        }
        let e = GenerationTask.evaluate(loaded.model, on: set)
        func figures(_ loss: GenerationTask.Loss) -> SequenceLossReport {
            SequenceLossReport(sequences: loss.sequences, symbols: loss.symbols, loss: loss.loss)
        }
        if json {
            let report = SequenceModelReport(task: "lm", sequences: e.overall.sequences, symbols: e.overall.symbols, loss: e.loss,
                                             bitsPerSymbol: e.loss / Foundation.log(2), perplexity: Foundation.exp(e.loss),
                                             perCondition: e.perCondition.mapValues(figures))
            print(try jsonLine(report))
            return
        }
        print(String(format: "%@: %d sequences, %d symbols predicted, loss %.6f nats/symbol, %.6f bits/symbol, perplexity %.4f",
                     data, e.overall.sequences, e.overall.symbols, e.loss, e.loss / Foundation.log(2), Foundation.exp(e.loss)))
        let width = max(9, e.perCondition.keys.map(\.count).max() ?? 9)
        for (name, loss) in e.perCondition.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %@  %6d sequences  %8d symbols  loss %.6f", name.padding(toLength: width, withPad: " ", startingAt: 0),
                         loss.sequences, loss.symbols, loss.loss))
        }
    }

    /// A tagger's loss, token accuracy, macro-F1 and (BIO tags) chunk F1 on tagged sequences.
    func evaluateTagger(_ loaded: ModelCheckpoint.Loaded<SequenceTagger<Float>>) throws {
        let configuration = loaded.model.configuration
        let examples = try TrainCommand.readTaggedSequences(data, format: format, characters: configuration.vocabulary?.tokenization == .chars,
                                                            tagColumn: tagColumn, requireTags: true)
        let encoded: EncodedSequences
        do {
            encoded = try TaggingData.encode(examples, for: configuration, path: data)
        } catch {
            throw UserError(error.description)
        }
        let e = TaggingTask.evaluate(loaded.model, on: encoded)
        if json {
            let report = TaggerReport(task: "tag", sequences: encoded.count, tokens: e.taggedSteps, loss: e.loss,
                                      accuracy: e.metrics.accuracy, macroF1: e.metrics.macroF1, chunkF1: e.chunkF1)
            print(try jsonLine(report))
            return
        }
        print(String(format: "%@: %d sequences, %d tokens, loss %.6f, accuracy %.4f, macro-F1 %.4f%@", data, encoded.count,
                     e.taggedSteps, e.loss, e.metrics.accuracy, e.metrics.macroF1, e.chunkF1.map { String(format: ", chunk F1 %.4f", $0) } ?? ""))
        let f1 = e.metrics.f1
        print("per tag F1: " + configuration.tags.enumerated().map { String(format: "%@ %.4f", $0.element, f1[$0.offset]) }.joined(separator: ", "))
    }
}

/// `recur eval --json` for a model of sequences.
struct SequenceModelReport: Encodable {
    var task: String
    var sequences: Int
    var symbols: Int
    var loss: Double
    var bitsPerSymbol: Double
    var perplexity: Double
    var perCondition: [String: SequenceLossReport]

    enum CodingKeys: String, CodingKey {
        case task, sequences, symbols, loss, perplexity
        case bitsPerSymbol = "bits_per_symbol"
        case perCondition = "per_condition"
    }
}

struct SequenceLossReport: Encodable {
    var sequences: Int
    var symbols: Int
    var loss: Double
}

/// `recur eval --json` for a tagger.
struct TaggerReport: Encodable {
    var task: String
    var sequences: Int
    var tokens: Int
    var loss: Double
    var accuracy: Double
    var macroF1: Double
    var chunkF1: Double?

    enum CodingKeys: String, CodingKey {
        case task, sequences, tokens, loss, accuracy
        case macroF1 = "macro_f1"
        case chunkF1 = "chunk_f1"
    }
}

/// `recur eval --json` for a classifier.
struct ClassifierReport: Encodable {
    var task: String
    var examples: Int
    var loss: Double
    var accuracy: Double
    var macroF1: Double
    var confusion: [String: [String: Int]]

    enum CodingKeys: String, CodingKey {
        case task, examples, loss, accuracy, confusion
        case macroF1 = "macro_f1"
    }
}
