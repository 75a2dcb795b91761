import Foundation
import Recur

/// `recur train --task classify`: a sequence classifier on labelled sequences.
extension TrainCommand {
    /// Reads a labelled-sequence file, or throws the one-line error for it.
    static func readSequences(_ path: String, format: LabelledSequenceFormat?, requireLabels: Bool) throws -> [LabelledSequence] {
        let text = try readText(path)
        guard let format = format ?? LabelledSequenceFormat(path: path) else {
            throw UserError("\(path): cannot tell the format from the extension; name it .jsonl, .tsv or .ts, or give --format jsonl|tsv|ts")
        }
        do {
            return try LabelledSequenceFile.parse(text, format: format, path: path, requireLabels: requireLabels)
        } catch {
            throw UserError(error.description)
        }
    }

    func runClassifier() throws {
        if seqLength != nil { throw UserError("--seq-length: applies to --task lm; a classifier reads whole sequences") }
        if val != nil && valFraction != nil { throw UserError("--val and --val-fraction: give one of them, not both") }
        try compute.apply()
        let files = RunFiles(folder: URL(fileURLWithPath: out))
        let resumePoint = resumeFrom ?? (resume ? .latest : nil)
        try files.prepare(resuming: resumePoint, folderOption: out)
        let resumeFile = resumePoint == .best ? files.bestTraining : files.training

        let examples = try Self.readSequences(data, format: format, requireLabels: true)
        let checksum = TextFile.checksum(try readText(data) + (val.map { (try? readText($0)) ?? "" } ?? ""))

        // Settings: the command line over the task's defaults, or over the saved run when resuming.
        var settings = TrainSettings.defaults(for: .classify)
        var saved: ModelCheckpoint.Loaded<SequenceClassifier<Float>>? = nil
        if resumePoint != nil {
            do {
                saved = try ModelCheckpoint.load(SequenceClassifier<Float>.self, from: resumeFile) { $0.problem }
            } catch {
                throw UserError("\(resumeFile.path): \(error); it cannot be resumed")
            }
            guard let json = saved!.metadata["training.settings"], let decoded = TrainSettings(json: json), decoded.task == TaskKind.classify.rawValue else {
                throw UserError("\(resumeFile.path): has no classifier training settings; it cannot be resumed")
            }
            guard saved!.metadata["training.data_checksum"] == checksum else {
                throw UserError("\(data): is not the data this run was trained on (its checksum differs); resume with the same data, or train into another --out")
            }
            settings = decoded
            try checkUnchanged(settings)
        }
        applyOptions(to: &settings)

        // The split: --val, or a seeded random --val-fraction of the examples.
        var trainExamples = examples, validationExamples: [LabelledSequence] = []
        if let val {
            validationExamples = try Self.readSequences(val, format: format, requireLabels: true)
        } else if settings.valFraction > 0 {
            var order = Array(examples.indices)
            var generator = RandomGenerator(seed: settings.seed ^ 0x5641_4C49_4441_5445)
            generator.shuffle(&order)
            let held = Int((Double(examples.count) * settings.valFraction).rounded())
            if held > 0 && held < examples.count {
                validationExamples = order.prefix(held).sorted().map { examples[$0] }
                trainExamples = order.dropFirst(held).sorted().map { examples[$0] }
            }
        }

        // The model's configuration: fitted on the training part, or the saved one.
        let configuration: SequenceClassifierConfiguration
        if let saved {
            configuration = saved.model.configuration
        } else {
            let fitted: (labels: [String], vocabulary: TokenVocabulary?, scaling: FeatureScaling?)
            do {
                fitted = try ClassificationData.fit(trainExamples, tokenization: Tokenization(rawValue: settings.tokens) ?? .chars,
                                                    maxVocabulary: settings.maxVocab > 0 ? settings.maxVocab : nil, path: data)
            } catch {
                throw UserError(error.description)
            }
            let input: SequenceInput = fitted.vocabulary.map { .tokens(vocabularySize: $0.count, embeddingSize: settings.embedding) }
                ?? .features(fitted.scaling!.width)
            configuration = SequenceClassifierConfiguration(
                input: input, cell: settings.cellKind!, layers: settings.layers, hiddenSize: settings.hidden,
                bidirectional: settings.bidirectional, dropout: settings.dropout, pooling: PoolingKind(rawValue: settings.pool) ?? .last,
                labels: fitted.labels, initialization: settings.initializationKind!, vocabulary: fitted.vocabulary, scaling: fitted.scaling)
        }
        let training: EncodedSequences, validation: EncodedSequences?
        do {
            training = try ClassificationData.encode(trainExamples, for: configuration, path: data)
            validation = validationExamples.isEmpty ? nil
                : try ClassificationData.encode(validationExamples, for: configuration, path: val ?? data)
        } catch {
            throw UserError(error.description)
        }

        var generator = RandomGenerator(seed: settings.seed)
        let model: SequenceClassifier<Float> = configuration.makeModel(using: &generator)
        if settings.classWeights == ClassWeighting.balanced.rawValue {
            model.classWeights = ClassificationData.balancedWeights(labels: training.labels, classCount: configuration.classCount)
        }
        let batchSize = min(settings.batch, training.count)
        let task = ClassificationTask(model: model, training: training, validation: validation, batchSize: batchSize,
                                      seed: settings.seed)
        let stepsPerEpoch = task.stepsPerEpoch
        let total: Int
        if let steps { total = steps }
        else if let epochs { total = epochs * stepsPerEpoch }
        else { total = saved?.metadata["training.total_steps"].flatMap(Int.init) ?? 10 * stepsPerEpoch }
        let trainer = settings.trainer(for: task, total: total, monitor: .accuracy)
        try continueRun(trainer, from: saved?.file, path: resumeFile, total: total)

        try files.create(folderOption: out)
        let kind = configuration.vocabulary.map { "\($0.count) \($0.tokenization == .words ? "words" : "characters") (embedding \(settings.embedding))" }
            ?? "\(configuration.input.width) features"
        print("recur train: classify, \(configuration.cell.rawValue) \(settings.layers)x\(settings.hidden)\(settings.bidirectional ? " bidirectional" : ""), "
              + "\(configuration.pooling.rawValue) pooling, \(model.parameterCount) parameters; \(configuration.classCount) classes, \(kind); "
              + "\(training.count) train / \(validation?.count ?? 0) validation sequences; batch \(batchSize), \(stepsPerEpoch) steps per epoch; "
              + "\(settings.optimizer) lr \(settings.lr); " + (saved != nil ? "resuming at step \(trainer.step) of \(total)" : "\(total) steps"))
        let loop = TrainingLoop(
            trainer: trainer, files: files, total: total, evalEvery: evalEvery ?? stepsPerEpoch,
            checkpointEvery: checkpointEvery ?? evalEvery ?? stepsPerEpoch, skipNonfinite: onNonfinite == .skip,
            runMetadata: ["training.settings": settings.json, "training.total_steps": String(total), "training.data_checksum": checksum,
                          "examples": String(training.count)],
            itemName: "examples", dataOption: data,
            describeValidation: { result in
                (["accuracy": result.metrics["accuracy"] ?? 0, "macro_f1": result.metrics["macro_f1"] ?? 0],
                 String(format: "validation loss %.4f  accuracy %.4f  macro-F1 %.4f", result.loss,
                        result.metrics["accuracy"] ?? 0, result.metrics["macro_f1"] ?? 0))
            }, resumed: saved != nil)
        let start = Date()
        try loop.run()
        let best = trainer.best.map { String(format: ", best validation accuracy %.4f at step %d", $0.value, $0.step) } ?? ""
        print("done: \(trainer.step) steps in \(Progress.duration(Date().timeIntervalSince(start)))\(best); model in \(files.model.path)")
    }
}
