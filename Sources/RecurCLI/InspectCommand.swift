import ArgumentParser
import Foundation
import Recur

/// `recur inspect`: what a checkpoint holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's configuration, tensors, vocabulary, step and validation loss.")

    @Argument(help: "A checkpoint written by recur train.") var checkpoint: String

    func run() throws {
        let file = try readCheckpointFile(checkpoint)
        switch try checkpointTask(file, path: checkpoint) {
        case SequenceClassifier<Float>.task: return try inspectClassifier(try loadClassifier(file, path: checkpoint, engine: .fast))
        case SequenceTagger<Float>.task: return try inspectTagger(try loadTagger(file, path: checkpoint, engine: .fast))
        case Seq2Seq<Float>.task: return try inspectSeq2Seq(try loadSeq2Seq(file, path: checkpoint, engine: .fast))
        case Forecaster<Float>.task: return try inspectForecaster(try loadForecaster(file, path: checkpoint, engine: .fast))
        default: break
        }
        let loaded = try loadCheckpoint(file, path: checkpoint, engine: .fast)
        let c = loaded.configuration, m = loaded.metadata
        print("\(checkpoint)")
        print("  model: \(c.cell.rawValue), \(c.layers) layer\(c.layers == 1 ? "" : "s") x \(c.hiddenSize) hidden, embedding \(c.embeddingSize), vocabulary \(c.vocabulary.count), dropout \(c.dropout), init \(c.initialization.rawValue)")
        if c.sequenceBoundaries {
            var line = "  sequences: each from U+0002 to U+0003, "
            switch c.condition {
            case nil: line += "unconditioned"
            case let .labels(names)?: line += "conditioned on \(names.count) labels (\(names.prefix(12).joined(separator: ", "))\(names.count > 12 ? ", ..." : ""))"
            case let .features(size, _)?: line += "conditioned on \(size) features"
            }
            print(line + (c.conditionEveryStep ? ", also at every step" : ""))
        }
        print("  format: \(m["format"] ?? "?") version \(m["format_version"] ?? "?")")
        if let step = m["step"] { print("  step: \(step)") }
        let unit = c.sequenceBoundaries ? "symbol" : "char"
        for (key, label) in [("train_loss", "training loss"), ("val_loss", "validation loss"), ("best_val_loss", "best validation loss")] {
            if let value = m[key].flatMap(Double.init) {
                print(String(format: "  %@: %.4f nats/\(unit) (%.4f bits/\(unit))", label, value, value / Foundation.log(2)))
            }
        }
        for key in ["optimizer", "lr", "batch", "seq_length", "data_chars"] where m[key] != nil {
            print("  \(key): \(m[key]!)")
        }
        print("  tensors:")
        var total = 0
        for (name, parameter) in loaded.model.namedParameters {
            let count = parameter.value.count
            total += count
            print("    \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(parameter.shape.map(String.init).joined(separator: " x ").padding(toLength: 14, withPad: " ", startingAt: 0)) \(count)")
        }
        print("    total parameters: \(total)")
        printTrainingState(loaded.file)
        let shown = c.vocabulary.symbols.map { symbol -> String in
            switch symbol {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case "\r": return "\\r"
            default: return symbol.properties.generalCategory == .control ? symbol.escaped(asASCII: true) : String(symbol)
            }
        }.joined()
        print("  vocabulary: \(shown)")
    }

    private func printTrainingState(_ file: SafeTensors) {
        let training = file.names.filter { $0.hasPrefix(CharRNNCheckpoint.trainingStatePrefix) }
        if !training.isEmpty { print("  training state: \(training.count) tensors (optimizer, carried state) for --resume") }
    }

    private func inspectClassifier(_ loaded: ModelCheckpoint.Loaded<SequenceClassifier<Float>>) throws {
        let c = loaded.model.configuration
        printSequenceModel(loaded.file, parameters: loaded.model.namedParameters, task: "classify", cell: c.cell, layers: c.layers,
                           hidden: c.hiddenSize, bidirectional: c.bidirectional, extra: "\(c.pooling.rawValue) pooling, ", dropout: c.dropout,
                           initialization: c.initialization, input: c.input, vocabulary: c.vocabulary, names: ("labels", c.labels))
    }

    private func inspectTagger(_ loaded: ModelCheckpoint.Loaded<SequenceTagger<Float>>) throws {
        let c = loaded.model.configuration
        printSequenceModel(loaded.file, parameters: loaded.model.namedParameters, task: "tag", cell: c.cell, layers: c.layers,
                           hidden: c.hiddenSize, bidirectional: c.bidirectional, extra: "", dropout: c.dropout,
                           initialization: c.initialization, input: c.input, vocabulary: c.vocabulary, names: ("tags", c.tags))
    }

    /// What a classifier's or a tagger's checkpoint holds.
    private func printSequenceModel(_ file: SafeTensors, parameters: [(name: String, parameter: Parameter<Float>)], task: String,
                                    cell: CellKind, layers: Int, hidden: Int, bidirectional: Bool, extra: String, dropout: Double,
                                    initialization: WeightInitialization, input: SequenceInput, vocabulary: TokenVocabulary?,
                                    names: (kind: String, list: [String])) {
        print("\(checkpoint)")
        let inputText: String
        switch input {
        case let .tokens(v, e): inputText = "\(v) \(["chars": "character", "words": "word", "given": "given"][vocabulary?.tokenization.rawValue ?? ""] ?? "") tokens, embedding \(e)"
        case let .features(f): inputText = "\(f) features (standardised)"
        }
        print("  model: \(task), \(cell.rawValue), \(layers) layer\(layers == 1 ? "" : "s") x \(hidden) hidden\(bidirectional ? ", bidirectional" : ""), \(extra)dropout \(dropout), init \(initialization.rawValue)")
        print("  input: \(inputText)")
        print("  \(names.kind) (\(names.list.count)): \(names.list.prefix(30).joined(separator: ", "))\(names.list.count > 30 ? ", ..." : "")")
        printRun(file, parameters: parameters)
    }

    private func inspectSeq2Seq(_ loaded: ModelCheckpoint.Loaded<Seq2Seq<Float>>) throws {
        let c = loaded.model.configuration
        print("\(checkpoint)")
        print("  model: seq2seq, \(c.cell.rawValue) encoder \(c.encoderLayers) layer\(c.encoderLayers == 1 ? "" : "s") x \(c.hiddenSize) hidden"
              + "\(c.bidirectional ? ", bidirectional" : ""), decoder \(c.decoderLayers) x \(c.hiddenSize), attention \(c.attention.rawValue), "
              + "embedding \(c.embeddingSize), dropout \(c.dropout), init \(c.initialization.rawValue)")
        for (side, vocabulary) in [("source", c.sourceVocabulary), ("target", c.targetVocabulary)] {
            print("  \(side): \(vocabulary.count) \(vocabulary.tokenization.rawValue) tokens: \(vocabulary.tokens.prefix(40).joined(separator: " "))\(vocabulary.count > 40 ? " ..." : "")")
        }
        print("  decoding limit: \(c.maxTargetLength) symbols")
        printRun(loaded.file, parameters: loaded.model.namedParameters)
    }

    private func inspectForecaster(_ loaded: ModelCheckpoint.Loaded<Forecaster<Float>>) throws {
        let c = loaded.model.configuration
        print("\(checkpoint)")
        print("  model: forecast, \(c.cell.rawValue), \(c.layers) layer\(c.layers == 1 ? "" : "s") x \(c.hiddenSize) hidden, \(c.strategy.rawValue), "
              + "dropout \(c.dropout), init \(c.initialization.rawValue)")
        print("  window: context \(c.context) -> horizon \(c.horizon); test rows held out \(c.testSize); seasonal period \(c.seasonalPeriod)")
        print("  loss: \(c.loss.rawValue)" + (c.loss == .pinball ? " at quantiles \(c.quantiles.map { String($0) }.joined(separator: ", "))" : ""))
        print("  time: \(c.timeName ?? "none"); gaps: \(c.fill.rawValue); \(c.difference == 1 ? "differenced, " : "")\(c.targetScaling.kind.rawValue) scaling")
        for (names, scaling, kind) in [(c.targetNames, c.targetScaling, "target"), (c.featureNames, c.featureScaling, "feature")] {
            for (i, name) in names.enumerated() {
                print("  \(kind) \(name): offset \(scaling.offset[i]), scale \(scaling.scale[i])")
            }
        }
        printRun(loaded.file, parameters: loaded.model.namedParameters)
    }

    /// The format, the training figures, the tensors and the training state of a version-2 checkpoint.
    private func printRun(_ file: SafeTensors, parameters: [(name: String, parameter: Parameter<Float>)]) {
        let m = file.metadata
        print("  format: \(m["format"] ?? "?") version \(m["format_version"] ?? "?"), task \(m["task"] ?? "?")")
        if let step = m["step"] { print("  step: \(step)") }
        for key in m.keys.sorted() where key.hasPrefix("val_") || key.hasPrefix("best_val_") || ["train_loss", "optimizer", "lr", "examples"].contains(key) {
            print("  \(key): \(m[key]!)")
        }
        print("  tensors:")
        var total = 0
        for (name, parameter) in parameters {
            total += parameter.value.count
            print("    \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(parameter.shape.map(String.init).joined(separator: " x ").padding(toLength: 14, withPad: " ", startingAt: 0)) \(parameter.value.count)")
        }
        print("    total parameters: \(total)")
        printTrainingState(file)
    }
}
