import Foundation
import Recur

/// `recur train --task classify`: a sequence classifier on labelled sequences.
extension TrainCommand {
    /// Reads a labelled-sequence file, or throws the one-line error for it.
    static func readSequences(_ path: String, text given: String? = nil, format: LabelledSequenceFormat?,
                              requireLabels: Bool) throws -> [LabelledSequence] {
        let text = try given ?? readText(path)
        guard let format = format ?? LabelledSequenceFormat(path: path) else {
            throw UserError("\(path): cannot tell the format from the extension; name it .jsonl, .tsv or .ts, or give --format jsonl|tsv|ts")
        }
        do {
            return try LabelledSequenceFile.parse(text, format: format, path: path, requireLabels: requireLabels)
        } catch {
            throw UserError(error.description)
        }
    }

    /// `recur train` for a task over whole sequences (classify, tag): read, split, fit or restore the
    /// configuration, encode, build, train.
    func runSequenceTask<Recipe: SequenceTaskRecipe>(_ recipe: Recipe.Type) throws {
        if seqLength != nil { throw UserError("--seq-length: applies to --task lm on a continuous text; \(Recipe.wholeSequences) reads whole sequences") }
        if val != nil && valFraction != nil { throw UserError("--val and --val-fraction: give one of them, not both") }
        try compute.apply()
        let group = try startProcessGroup()
        try asRank(of: group) { try trainSequences(recipe, group: group) }
    }

    /// A whole-sequence task in this process, or as one rank of `group` (each rank its part of every batch).
    func trainSequences<Recipe: SequenceTaskRecipe>(_ recipe: Recipe.Type, group: ProcessGroup?) throws {
        let name = Recipe.kind.rawValue
        let leader = group?.isLeader ?? true, ranks = group?.size ?? 1
        let files = RunFiles(folder: URL(fileURLWithPath: out))
        let resumePoint = resumeFrom ?? (resume ? .latest : nil)
        if leader { try files.prepare(resuming: resumePoint, folderOption: out) }
        let resumeFile = resumePoint == .best ? files.bestTraining : files.training

        let dataText = try readText(data), valText = try val.map(readText)
        let examples = try Recipe.read(data, text: dataText, command: self)
        let checksum = TextFile.checksum(dataText + (valText ?? ""))

        // Settings: the command line over the task's defaults, or over the saved run when resuming.
        var settings = TrainSettings.defaults(for: Recipe.kind)
        var saved: ModelCheckpoint.Loaded<Recipe.Model>? = nil
        if resumePoint != nil {
            do {
                saved = try ModelCheckpoint.load(Recipe.Model.self, from: resumeFile) { Recipe.problem($0) }
            } catch {
                throw UserError("\(resumeFile.path): \(error); it cannot be resumed")
            }
            guard let json = saved!.metadata["training.settings"], let decoded = TrainSettings(json: json), decoded.task == name else {
                throw UserError("\(resumeFile.path): has no --task \(name) training settings; it cannot be resumed")
            }
            guard saved!.metadata["training.data_checksum"] == checksum else {
                throw UserError("\(data): is not the data this run was trained on (its checksum differs); resume with the same data, or train into another --out")
            }
            settings = decoded
            try checkUnchanged(settings)
        }
        applyOptions(to: &settings)

        let given = try val.map { try Recipe.read($0, text: valText!, command: self) }
        let (trainExamples, validationExamples) = try Recipe.split(examples, validation: given, settings: settings, path: data)

        // The model's configuration: fitted on the training part, or the saved one.
        let training: Recipe.Encoded, validation: Recipe.Encoded?
        let configuration: Recipe.Model.Configuration
        do {
            configuration = try saved?.model.configuration ?? Recipe.fit(trainExamples, settings: settings, path: data)
            training = try Recipe.encode(trainExamples, for: configuration, path: data)
            validation = validationExamples.isEmpty ? nil : try Recipe.encode(validationExamples, for: configuration, path: val ?? data)
        } catch let error as DataError {
            throw UserError(error.description)
        }

        let batchSize = min(settings.batch * ranks, Recipe.count(training))
        try Recipe.checkFits(configuration, training: training, batchSize: batchSize)
        var generator = RandomGenerator(seed: settings.seed)
        let model = Recipe.Model(configuration: configuration, using: &generator)
        model.engine = compute.engine
        let task = Recipe.makeTask(model: model, training: training, validation: validation, settings: settings, batchSize: batchSize)
        (task.order.shard, task.order.shards) = (group?.rank ?? 0, ranks)
        let stepsPerEpoch = task.stepsPerEpoch
        let total: Int
        if let steps { total = steps }
        else if let epochs { total = epochs * stepsPerEpoch }
        else { total = saved?.metadata["training.total_steps"].flatMap(Int.init) ?? 10 * stepsPerEpoch }
        try checkRanks(group, saved: saved?.metadata, settings: settings, checksum: checksum, total: total)
        let trainer = settings.trainer(for: task, total: total, monitor: Recipe.monitor)
        trainer.processGroup = group
        try continueRun(trainer, from: saved?.file, path: resumeFile, total: total)

        if leader { try files.create(folderOption: out) }
        let parallel = ranks > 1 ? " (\(ranks) ranks of \(settings.batch))" : ""
        if leader { print("recur train: \(name), \(Recipe.describe(configuration, settings: settings)), \(model.parameterCount) parameters; "
              + "\(Recipe.count(training)) train / \(validation.map(Recipe.count) ?? 0) validation \(Recipe.exampleName); batch \(batchSize)\(parallel), \(stepsPerEpoch) steps per epoch; "
              + "\(settings.optimizer) lr \(settings.lr); \(compute.productsNote)" + (saved != nil ? "resuming at step \(trainer.step) of \(total)" : "\(total) steps")) }
        let loop = TrainingLoop(
            trainer: trainer, files: files, total: total, evalEvery: evalEvery ?? stepsPerEpoch,
            checkpointEvery: checkpointEvery ?? evalEvery ?? stepsPerEpoch, skipNonfinite: onNonfinite == .skip,
            runMetadata: ["training.settings": settings.json, "training.total_steps": String(total), "training.data_checksum": checksum,
                          "examples": String(Recipe.count(training)), "training.ranks": String(ranks)],
            itemName: Recipe.itemName, dataOption: data,
            describeValidation: { result in (result.metrics, Recipe.describeValidation(result)) }, resumed: saved != nil,
            leader: leader, processGroup: group)
        let start = Date()
        try loop.run()
        let best = trainer.best.map { String(format: ", best validation \(Recipe.monitor.metric) %.4f at step %d", $0.value, $0.step) } ?? ""
        if leader { print("done: \(trainer.step) steps in \(Progress.duration(Date().timeIntervalSince(start)))\(best); model in \(files.model.path)") }
        group?.barrier()
        group?.finish()
    }
}

/// What differs between the whole-sequence tasks under `TrainCommand.runSequenceTask`.
protocol SequenceTaskRecipe {
    associatedtype Model: RecurModel
    associatedtype Task: WholeSequenceTask where Task.Model == Model
    /// One example as a file gives it, and a set of them encoded for the model.
    associatedtype Example
    associatedtype Encoded
    static var kind: TaskKind { get }
    /// What the throughput counts: `examples`, `tokens`.
    static var itemName: String { get }
    /// What the start line counts: "sequences", "windows".
    static var exampleName: String { get }
    /// The task's name in messages: "--task classify".
    static var wholeSequences: String { get }
    /// The validation figure that picks the best model.
    static var monitor: Monitor { get }
    /// The examples of a file whose `text` was read already.
    static func read(_ path: String, text: String, command: TrainCommand) throws -> [Example]
    /// The training and the validation examples: those of `--val` when given, else (by default) a
    /// seeded random `--val-fraction` of the examples.
    static func split(_ examples: [Example], validation: [Example]?, settings: TrainSettings, path: String) throws
        -> (training: [Example], validation: [Example])
    static func fit(_ examples: [Example], settings: TrainSettings, path: String) throws(DataError) -> Model.Configuration
    static func encode(_ examples: [Example], for configuration: Model.Configuration, path: String) throws(DataError) -> Encoded
    static func count(_ encoded: Encoded) -> Int
    static func problem(_ configuration: Model.Configuration) -> String?
    static func makeTask(model: Model, training: Encoded, validation: Encoded?, settings: TrainSettings, batchSize: Int) -> Task
    /// The model in a few words for the start line.
    static func describe(_ configuration: Model.Configuration, settings: TrainSettings) -> String
    /// A validation's figures in one line.
    static func describeValidation(_ result: ValidationResult) -> String
    /// Refuses, before the model is built, a run whose buffers cannot fit in memory.
    static func checkFits(_ configuration: Model.Configuration, training: Encoded, batchSize: Int) throws
}

/// The recipes of the labelled whole-sequence tasks (classify, tag).
protocol LabelledSequenceRecipe: SequenceTaskRecipe where Example == LabelledSequence, Encoded == EncodedSequences {}

extension LabelledSequenceRecipe {
    static var wholeSequences: String { "--task \(kind.rawValue)" }
    static var monitor: Monitor { .accuracy }
    static func count(_ encoded: EncodedSequences) -> Int { encoded.count }

    static func describeValidation(_ result: ValidationResult) -> String {
        var text = String(format: "validation loss %.4f  accuracy %.4f  macro-F1 %.4f", result.loss,
                          result.metrics["accuracy"] ?? 0, result.metrics["macro_f1"] ?? 0)
        if let chunk = result.metrics["chunk_f1"] { text += String(format: "  chunk-F1 %.4f", chunk) }
        return text
    }
}

extension SequenceTaskRecipe {
    static var exampleName: String { "sequences" }

    static func split(_ examples: [Example], validation: [Example]?, settings: TrainSettings, path: String) throws
        -> (training: [Example], validation: [Example]) {
        if let validation { return (examples, validation) }
        guard settings.valFraction > 0 else { return (examples, []) }
        var order = Array(examples.indices)
        var generator = RandomGenerator(seed: settings.seed ^ 0x5641_4C49_4441_5445)
        generator.shuffle(&order)
        let held = Int((Double(examples.count) * settings.valFraction).rounded())
        guard held > 0 && held < examples.count else { return (examples, []) }
        return (order.dropFirst(held).sorted().map { examples[$0] }, order.prefix(held).sorted().map { examples[$0] })
    }

    static func checkFits(_ configuration: Model.Configuration, training: Encoded, batchSize: Int) throws {}

    /// The input in a few words: tokens and their kind, or features.
    static func describeInput(_ vocabulary: TokenVocabulary?, width: Int, embedding: Int) -> String {
        guard let vocabulary else { return "\(width) features" }
        let kind = ["chars": "characters", "words": "words", "given": "tokens"][vocabulary.tokenization.rawValue] ?? "tokens"
        return "\(vocabulary.count) \(kind) (embedding \(embedding))"
    }
}

/// `--task classify`: a label per sequence.
enum ClassifierRecipe: LabelledSequenceRecipe {
    static let kind = TaskKind.classify
    static let itemName = "examples"

    static func read(_ path: String, text: String, command: TrainCommand) throws -> [LabelledSequence] {
        try TrainCommand.readSequences(path, text: text, format: command.format, requireLabels: true)
    }

    static func fit(_ examples: [LabelledSequence], settings: TrainSettings, path: String) throws(DataError) -> SequenceClassifierConfiguration {
        let fitted = try ClassificationData.fit(examples, tokenization: Tokenization(rawValue: settings.tokens) ?? .chars,
                                                maxVocabulary: settings.maxVocab > 0 ? settings.maxVocab : nil, path: path)
        let input = SequenceInput(vocabulary: fitted.vocabulary, scaling: fitted.scaling, embeddingSize: settings.embedding)
        return SequenceClassifierConfiguration(
            input: input, cell: settings.cellKind!, layers: settings.layers, hiddenSize: settings.hidden,
            bidirectional: settings.bidirectional, dropout: settings.dropout, pooling: PoolingKind(rawValue: settings.pool) ?? .last,
            labels: fitted.labels, initialization: settings.initializationKind!, vocabulary: fitted.vocabulary, scaling: fitted.scaling)
    }

    static func encode(_ examples: [LabelledSequence], for configuration: SequenceClassifierConfiguration, path: String) throws(DataError) -> EncodedSequences {
        try ClassificationData.encode(examples, for: configuration, path: path)
    }

    static func problem(_ configuration: SequenceClassifierConfiguration) -> String? { configuration.problem }

    static func makeTask(model: SequenceClassifier<Float>, training: EncodedSequences, validation: EncodedSequences?,
                         settings: TrainSettings, batchSize: Int) -> ClassificationTask {
        if settings.classWeights == ClassWeighting.balanced.rawValue {
            model.classWeights = ClassificationData.balancedWeights(labels: training.labels, classCount: model.classCount)
        }
        return ClassificationTask(model: model, training: training, validation: validation, batchSize: batchSize, seed: settings.seed)
    }

    static func describe(_ c: SequenceClassifierConfiguration, settings: TrainSettings) -> String {
        "\(c.cell.rawValue) \(c.layers)x\(c.hiddenSize)\(c.bidirectional ? " bidirectional" : ""), \(c.pooling.rawValue) pooling, "
            + "\(c.classCount) classes, \(describeInput(c.vocabulary, width: c.input.width, embedding: settings.embedding))"
    }
}

/// `--task tag`: a tag per step.
enum TaggerRecipe: LabelledSequenceRecipe {
    static let kind = TaskKind.tag
    static let itemName = "tokens"

    static func read(_ path: String, text: String, command: TrainCommand) throws -> [LabelledSequence] {
        try TrainCommand.readTaggedSequences(path, text: text, format: command.format, characters: command.tokens == .chars,
                                             tagColumn: command.tagColumn, requireTags: true)
    }

    static func fit(_ examples: [LabelledSequence], settings: TrainSettings, path: String) throws(DataError) -> SequenceTaggerConfiguration {
        let fitted = try TaggingData.fit(examples, tokenization: Tokenization(rawValue: settings.tokens) ?? .given,
                                         maxVocabulary: settings.maxVocab > 0 ? settings.maxVocab : nil, path: path)
        let input = SequenceInput(vocabulary: fitted.vocabulary, scaling: fitted.scaling, embeddingSize: settings.embedding)
        return SequenceTaggerConfiguration(
            input: input, cell: settings.cellKind!, layers: settings.layers, hiddenSize: settings.hidden,
            bidirectional: settings.bidirectional, dropout: settings.dropout, tags: fitted.tags,
            initialization: settings.initializationKind!, vocabulary: fitted.vocabulary, scaling: fitted.scaling)
    }

    static func encode(_ examples: [LabelledSequence], for configuration: SequenceTaggerConfiguration, path: String) throws(DataError) -> EncodedSequences {
        try TaggingData.encode(examples, for: configuration, path: path)
    }

    static func problem(_ configuration: SequenceTaggerConfiguration) -> String? { configuration.problem }

    static func makeTask(model: SequenceTagger<Float>, training: EncodedSequences, validation: EncodedSequences?,
                         settings: TrainSettings, batchSize: Int) -> TaggingTask {
        if settings.classWeights == ClassWeighting.balanced.rawValue {
            model.tagWeights = ClassificationData.balancedWeights(labels: (training.tags ?? []).flatMap { $0 }, classCount: model.configuration.tagCount)
        }
        return TaggingTask(model: model, training: training, validation: validation, batchSize: batchSize, seed: settings.seed)
    }

    static func describe(_ c: SequenceTaggerConfiguration, settings: TrainSettings) -> String {
        "\(c.cell.rawValue) \(c.layers)x\(c.hiddenSize)\(c.bidirectional ? " bidirectional" : ""), "
            + "\(c.tagCount) tags, \(describeInput(c.vocabulary, width: c.input.width, embedding: settings.embedding))"
    }
}

extension TrainCommand {
    /// Reads a tagged-sequence file, or throws the one-line error for it.
    static func readTaggedSequences(_ path: String, text given: String? = nil, format: LabelledSequenceFormat?, characters: Bool,
                                    tagColumn: Int?, requireTags: Bool) throws -> [LabelledSequence] {
        let text = try given ?? readText(path)
        let tagged: TaggedSequenceFormat
        switch format {
        case .jsonl?: tagged = .jsonl
        case .conll?, .tsv?: tagged = .conll
        case .ts?: throw UserError("--format ts: holds a label per series, not a tag per step; use --task classify")
        case nil:
            guard let fromName = TaggedSequenceFormat(path: path) else {
                throw UserError("\(path): cannot tell the format from the extension; name it .jsonl or .conll, or give --format jsonl|conll")
            }
            tagged = fromName
        }
        do {
            return try TaggedSequenceFile.parse(text, format: tagged, path: path, characters: characters, tagColumn: tagColumn,
                                                requireTags: requireTags)
        } catch {
            throw UserError(error.description)
        }
    }
}
