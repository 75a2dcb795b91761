import ArgumentParser
import Foundation
import Recur

/// `recur train`: a character model on a UTF-8 text with stateful truncated BPTT, with progress,
/// metrics, checkpoints, Ctrl-C and exact resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model: a character language model of a text or of (conditioned) sequences, a classifier or a tagger.",
        discussion: """
        Writes into --out: model.safetensors (latest weights, loads in PyTorch), best.safetensors (best \
        validation loss), training.safetensors (what --resume needs), best-training.safetensors (what \
        --resume-from best needs), metrics.jsonl and loss.svg.
        Ctrl-C saves and exits (code 130); a second Ctrl-C exits at once. A NaN or infinite loss or \
        gradient norm, or a loss above 3x the run's first, stops training (code 3) without touching the \
        last good checkpoint, unless --on-nonfinite skip. --lr and --clip may be changed on --resume.

        The seed articles' Keras setup:
          recur train --data shakespeare.txt --out runs/keras --layers 1 --hidden 1024 --embedding 256 --init keras
        """)

    @Option(help: "What to learn: lm, a character-level language model of a text, or of JSON Lines sequences (conditioned on their \"condition\" or \"features\"); classify, a label for each whole sequence (many-to-one); tag, a tag for each step; seq2seq, a target sequence for each source (encoder-decoder with attention).")
    var task: TaskKind = .lm
    @Option(help: "The training data: a UTF-8 text or {\"text\", \"condition\"} JSON Lines (lm), labelled sequences in JSON Lines, TSV or .ts (classify), tagged sequences in JSON Lines or CoNLL (tag), source<TAB>target or {\"source\", \"target\"} pairs (seq2seq).") var data: String
    @Option(help: "The folder for checkpoints and metrics (created if missing).") var out: String
    @Option(help: "The recurrent cell (rnn is tanh). [default: lstm]") var cell: CellChoice?
    @Option(help: "Stacked recurrent layers. [default: 2]") var layers: Int?
    @Option(help: "Hidden units per layer. [default: 512]") var hidden: Int?
    @Option(help: "Embedding size. [default: 64]") var embedding: Int?
    @Option(help: "Parallel streams per batch. [default: 64]") var batch: Int?
    @Option(name: .customLong("seq-length"), help: "Steps per truncated-BPTT chunk. [default: 100]") var seqLength: Int?
    @Option(help: "Passes over the training text. [default: 10, unless --steps]") var epochs: Int?
    @Option(help: "Total optimiser steps (instead of --epochs).") var steps: Int?
    @Option(help: "Learning rate. [default: 0.002]") var lr: Double?
    @Option(help: "The optimiser, with PyTorch's defaults but the learning rate. [default: adam]") var optimizer: OptimizerKind?
    @Option(help: "Clip the gradients' global norm to this; 0 turns clipping off. [default: 5]") var clip: Double?
    @Option(help: "Dropout between recurrent layers. [default: 0]") var dropout: Double?
    @Option(name: .customLong("init"), help: "Weight initialisation: pytorch, keras (glorot-uniform kernels, orthogonal recurrent), keras-glorot (glorot-uniform recurrent too). [default: pytorch]") var initialization: WeightInitialization?
    @Option(help: "A character model of a text: the settings of a known recipe, which the other options given override. seed-keras: the seed article's Keras model and training (1 LSTM of 1024, embedding 256, batch 64 x 100 shuffled chunks, Keras's Adam, no clipping, 10 epochs, no validation split).") var preset: Preset?
    @Option(help: "A character model of a text: streams (contiguous, the state continues the text) or chunks (shuffled chunks of --seq-length + 1, tf.data's; the state is carried all the same). [default: streams]") var batching: BatchingKind?
    @Option(name: .customLong("val-fraction"), help: "The end of the file kept for validation. [default: 0.05]") var valFraction: Double?
    @Option(help: "Random seed (weights, dropout). [default: 1]") var seed: UInt64?
    @Option(name: .customLong("eval-every"), help: "Validate every N steps. [default: 250 (lm), one epoch (classify)]") var evalEvery: Int?
    @Option(name: .customLong("checkpoint-every"), help: "Save checkpoints every N steps. [default: as --eval-every]") var checkpointEvery: Int?
    @Option(help: "Validation data (classify, tag, lm on JSON Lines); without it, --val-fraction of --data is held out at random.") var val: String?
    @OptionGroup var sequenceFormat: SequenceFormatOptions
    var format: LabelledSequenceFormat? { sequenceFormat.format }
    @Option(help: "How text becomes tokens (classify). [default: chars]") var tokens: Tokenization?
    @Option(name: .customLong("tag-column"), help: "CoNLL input (tag): the column holding the tag, from 1. [default: the last]") var tagColumn: Int?
    @Option(name: .customLong("max-vocab"), help: "At most N tokens, the unknown token included, the most frequent kept (classify). [default: all]") var maxVocab: Int?
    @Flag(inversion: .prefixedNo, help: "Run each recurrent layer in both directions (classify). [default: no]") var bidirectional: Bool?
    @Option(help: "How a classifier reduces the outputs over time. [default: last]") var pool: PoolingKind?
    @Option(name: .customLong("class-weights"), help: "Weigh the loss per class: none, or balanced (inversely to class frequency). [default: none]") var classWeights: ClassWeighting?
    @Option(name: .customLong("lr-schedule"), help: "Learning-rate schedule after the warm-up. [default: constant]") var lrSchedule: ScheduleKind?
    @Option(help: "Linear learning-rate warm-up over the first N steps. [default: 0]") var warmup: Int?
    @Option(name: .customLong("lr-step"), help: "--lr-schedule step: steps between decays. [default: one epoch]") var lrStep: Int?
    @Option(name: .customLong("lr-gamma"), help: "--lr-schedule step or plateau: the decay factor. [default: 0.1]") var lrGamma: Double?
    @Option(name: .customLong("lr-patience"), help: "--lr-schedule plateau: validations without improvement before a decay. [default: 3]") var lrPatience: Int?
    @Option(help: "Stop after N validations without a better validation loss (lm) or accuracy (classify). [default: never]") var patience: Int?
    @Flag(name: .customLong("condition-every-step"),
          help: "--task lm on JSON Lines: feed the condition at every step too, not only into the initial state.")
    var conditionEveryStep = false
    @Flag(help: "--task lm on JSON Lines: ignore the lines' conditions and train an unconditioned model of the texts (for comparison).")
    var unconditioned = false
    @Option(help: "seq2seq: how the decoder attends to the source. [default: bahdanau]") var attention: AttentionKind?
    @Option(name: .customLong("teacher-forcing"),
            help: "seq2seq: the probability of feeding the decoder the true previous symbol rather than its own choice (scheduled sampling). [default: 1]")
    var teacherForcing: Double?
    @Option(name: .customLong("decoder-layers"), help: "seq2seq: the decoder's layers. [default: as --layers]") var decoderLayers: Int?
    @Option(name: .customLong("target-tokens"), help: "seq2seq: how target text becomes tokens. [default: as --tokens]") var targetTokens: Tokenization?
    @Flag(name: .customLong("shared-vocabulary"), help: "seq2seq: one vocabulary for the source and the target.") var sharedVocabulary = false
    @Option(name: .customLong("max-source-length"), help: "seq2seq: refuse sources of more tokens. [default: no limit]") var maxSourceLength: Int?
    @Option(name: .customLong("max-target-length"),
            help: "seq2seq: refuse targets of more tokens; also the decoder's default limit. [default: no limit; decoding stops at twice the longest target]")
    var maxTargetLength: Int?
    @Option(help: "forecast: the column(s) to forecast, comma-separated names of the CSV's header.") var target: String?
    @Option(help: "forecast: extra input columns known in the past, comma-separated.") var features: String?
    @Option(help: "forecast: the time column (ISO dates or numbers, increasing); forecasts continue it. [default: none]") var time: String?
    @Option(help: "forecast: fill missing values (empty, NA, NaN) by carrying the last one forward or by a straight line; none refuses them. [default: none]")
    var fill: MissingValueFill?
    @Option(help: "forecast: scale each series, fitted on the training rows only. [default: standard]") var scale: SeriesScalingKind?
    @Option(help: "forecast: 1 models the differences y(t) - y(t-1) of the targets. [default: 0]") var difference: Int?
    @Option(name: .customLong("seasonal-period"), help: "forecast: the season length m (12 for monthly data with a yearly cycle), for the seasonal naive baseline and MASE. [default: 1]")
    var seasonalPeriod: Int?
    @Option(help: "forecast: N, the past steps each forecast reads.") var context: Int?
    @Option(help: "forecast: H, the steps forecast.") var horizon: Int?
    @Option(help: "forecast: direct (H outputs at once), recursive (one step, fed back) or seq2seq (an encoder-decoder over the horizon). [default: direct]")
    var strategy: ForecastStrategy?
    @Option(help: "forecast: the loss, mse or mae (--quantiles gives the pinball loss). [default: mse]") var loss: ForecastLoss?
    @Option(help: "forecast: quantiles for the pinball loss, e.g. 0.1,0.5,0.9 (0.5 is the forecast, the others bound its interval).")
    var quantiles: String?
    @Option(name: .customLong("test-size"), help: "forecast: the last N rows are never trained on (recur eval forecasts them). [default: --horizon]")
    var testSize: Int?
    @Flag(help: "Continue the run saved in --out exactly where it stopped.") var resume = false
    @Option(name: .customLong("resume-from"),
            help: "Continue the run in --out from its latest checkpoint (as --resume) or from its best validation checkpoint, exactly as it went on from there.")
    var resumeFrom: ResumePoint?
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Data-parallel training under mpirun, every task: each rank trains on its own --batch streams of the text (or --batch examples of each step's batch), the gradients are summed across ranks (Open MPI) and rank 0 writes the run; N ranks equal one process with N x --batch.")
    var distributed = false
    @Option(name: .customLong("on-nonfinite"),
            help: "When a batch's loss or gradient norm is NaN or infinite, or the loss exceeds 3x the run's first loss: stop (keep the last good checkpoint) or skip the batch.")
    var onNonfinite: NonfiniteAction = .stop

    /// The forecasting options, by name, and whether each was given.
    var forecastOptions: [(String, Bool)] {
        [("target", target != nil), ("features", features != nil), ("time", time != nil), ("fill", fill != nil), ("scale", scale != nil),
         ("difference", difference != nil), ("seasonal-period", seasonalPeriod != nil), ("context", context != nil),
         ("horizon", horizon != nil), ("strategy", strategy != nil), ("loss", loss != nil), ("quantiles", quantiles != nil),
         ("test-size", testSize != nil)]
    }

    func run() throws {
        try validateOptions()
        let plainText = task == .lm && (format ?? LabelledSequenceFormat(path: data)) != .jsonl
        for (name, given) in [("preset", preset != nil), ("batching", batching != nil)] where given && !plainText {
            throw UserError("--\(name): applies to a character model of a plain text (--task lm)")
        }
        if task == .forecast { return try runForecast() }
        for (name, given) in forecastOptions where given { throw UserError("--\(name): applies to --task forecast") }
        let seq2seqOptions = [("attention", attention != nil), ("teacher-forcing", teacherForcing != nil), ("decoder-layers", decoderLayers != nil),
                              ("target-tokens", targetTokens != nil), ("shared-vocabulary", sharedVocabulary),
                              ("max-source-length", maxSourceLength != nil), ("max-target-length", maxTargetLength != nil)]
        if task == .seq2seq {
            for (name, given) in [("pool", pool != nil), ("class-weights", classWeights != nil), ("tag-column", tagColumn != nil),
                                  ("condition-every-step", conditionEveryStep), ("unconditioned", unconditioned)] where given {
                throw UserError("--\(name): does not apply to --task seq2seq")
            }
            return try runSequenceTask(Seq2SeqRecipe.self)
        }
        for (name, given) in seq2seqOptions where given { throw UserError("--\(name): applies to --task seq2seq") }
        let sequencesOfText = task == .lm && (format ?? LabelledSequenceFormat(path: data)) == .jsonl
        if !sequencesOfText {
            for (name, given) in [("condition-every-step", conditionEveryStep), ("unconditioned", unconditioned)] where given {
                throw UserError("--\(name): applies to --task lm on JSON Lines sequences ({\"text\": ..., \"condition\": ...})")
            }
        }
        if sequencesOfText {
            for (name, given) in [("tokens", tokens != nil), ("max-vocab", maxVocab != nil), ("bidirectional", bidirectional != nil),
                                  ("pool", pool != nil), ("class-weights", classWeights != nil), ("tag-column", tagColumn != nil)] where given {
                throw UserError("--\(name): applies to --task classify or tag, not --task lm")
            }
            if conditionEveryStep && unconditioned { throw UserError("--condition-every-step and --unconditioned: give one of them, not both") }
            return try runSequenceTask(GenerationRecipe.self)
        }
        if let format, task == .lm, format != .jsonl {
            throw UserError("--format \(format.rawValue): --task lm reads a plain text, or JSON Lines sequences (--format jsonl)")
        }
        if task == .classify { return try runSequenceTask(ClassifierRecipe.self) }
        if task == .tag {
            if pool != nil { throw UserError("--pool: applies to --task classify; a tagger keeps every step") }
            if tokens == .words { throw UserError("--tokens words: a tagger reads tokens as given, or the characters of \"text\" with --tokens chars") }
            return try runSequenceTask(TaggerRecipe.self)
        }
        for (name, given) in [("val", val != nil), ("format", format != nil), ("tokens", tokens != nil), ("max-vocab", maxVocab != nil),
                              ("bidirectional", bidirectional != nil), ("pool", pool != nil), ("class-weights", classWeights != nil),
                              ("tag-column", tagColumn != nil)] where given {
            throw UserError("--\(name): applies to --task classify or tag, not --task lm")
        }
        try compute.apply()
        let group = try startProcessGroup()
        try asRank(of: group) { try trainText(group: group) }
    }

    /// `--task lm` on a plain text, in this process or as one rank of `group`.
    func trainText(group: ProcessGroup?) throws {
        let leader = group?.isLeader ?? true
        let text: String
        do {
            text = try TextFile.read(data)
        } catch {
            throw textFileError(data, error)
        }
        let folder = URL(fileURLWithPath: out)
        let files = RunFiles(folder: folder)
        let resumePoint = resumeFrom ?? (resume ? .latest : nil)
        let resuming = resumePoint != nil
        if leader { try files.prepare(resuming: resumePoint, folderOption: out) }
        let resumeFile = resumePoint == .best ? files.bestTraining : files.training
        let vocabulary = Vocabulary(text: text)
        guard vocabulary.count >= 2 else {
            throw UserError("\(data): has only one distinct character; a model needs at least two symbols to learn")
        }
        let tokens = try! vocabulary.encode(text)
        let checksum = TextFile.checksum(text)

        // Settings: the command line over the defaults, or over the saved run when resuming.
        var saved: CharRNNCheckpoint.Loaded? = nil
        var settings = TrainSettings.defaults
        var savedTotal: Int? = nil
        if resuming {
            let loaded: CharRNNCheckpoint.Loaded
            do {
                loaded = try CharRNNCheckpoint.load(resumeFile)
            } catch {
                throw UserError("\(resumeFile.path): \(error); it cannot be resumed")
            }
            guard let json = loaded.metadata["training.settings"], let decoded = TrainSettings(json: json) else {
                throw UserError("\(resumeFile.path): has no training settings; it cannot be resumed")
            }
            guard loaded.configuration.vocabulary == vocabulary else {
                throw UserError("\(data): its vocabulary (\(vocabulary.count) symbols) differs from the run's (\(loaded.configuration.vocabulary.count)); resume with the same data, or train into another --out")
            }
            guard loaded.metadata["training.data_checksum"] == checksum else {
                throw UserError("\(data): is not the text this run was trained on (its checksum differs); resume with the same data, or train into another --out")
            }
            settings = decoded
            savedTotal = loaded.metadata["training.total_steps"].flatMap(Int.init)
            saved = loaded
            try checkUnchanged(settings)
        }
        applyOptions(to: &settings)
        let cellKind = settings.cellKind!

        // Refuse a run whose buffers cannot fit, before allocating any of them.
        let configuration = CharRNNConfiguration(
            cell: cellKind, layers: settings.layers, hiddenSize: settings.hidden, embeddingSize: settings.embedding,
            vocabulary: vocabulary, dropout: settings.dropout, initialization: settings.initializationKind!)
        try SystemMemory.checkFits(configuration, batch: settings.batch, steps: settings.seqLength)

        // Data: the end of the file validates, the rest trains.
        let validationCount = settings.valFraction > 0 ? max(2, Int(Double(tokens.count) * settings.valFraction)) : 0
        let trainTokens = Array(tokens[0..<(tokens.count - validationCount)])
        let validationTokens = Array(tokens[(tokens.count - validationCount)...])
        let ranks = group?.size ?? 1
        guard trainTokens.count >= TextStreams.minimumTokens(batch: settings.batch * ranks, steps: settings.seqLength, order: settings.textOrder) else {
            let rows = ranks > 1 ? "\(ranks) ranks x \(settings.batch)" : "\(settings.batch)"
            let chunks = settings.textOrder == .streams ? "" : " chunks"
            throw UserError("\(data): its \(trainTokens.count) training characters cannot fill one batch of \(rows)\(chunks) x \(settings.seqLength) (+1); lower --batch or --seq-length, or give more text")
        }
        let streams = TextStreams(tokens: trainTokens, batch: settings.batch, steps: settings.seqLength,
                                  shard: group?.rank ?? 0, of: ranks, order: settings.textOrder)
        let total: Int
        if let steps { total = steps }
        else if let epochs { total = epochs * streams.batchesPerEpoch }
        else { total = savedTotal ?? 10 * streams.batchesPerEpoch }

        var generator = RandomGenerator(seed: settings.seed)
        let model = configuration.makeModel(using: &generator)
        model.engine = compute.engine
        if settings.oneBias { model.rnn.keepOneBias() }
        let task = LanguageModelTask(model: model, streams: streams, validationTokens: validationTokens)
        try checkRanks(group, saved: saved?.metadata, settings: settings, checksum: checksum, total: total)
        let trainer = settings.trainer(for: task, total: total, monitor: .loss)
        trainer.processGroup = group
        try continueRun(trainer, from: saved?.file, path: resumeFile, total: total)

        if leader { try files.create(folderOption: out) }
        let parallel = ranks > 1 ? "\(ranks) ranks x " : ""
        if leader { print("recur train: \(cellKind.rawValue) \(settings.layers)x\(settings.hidden), embedding \(settings.embedding), "
              + "\(model.parameterCount) parameters; \(tokens.count) characters, \(vocabulary.count) symbols; "
              + "\(trainTokens.count) train / \(validationTokens.count) validation; batch \(parallel)\(settings.batch) x \(settings.seqLength)"
              + (settings.textOrder == .streams ? ", " : " shuffled chunks, ")
              + "\(streams.batchesPerEpoch) steps per epoch; \(settings.optimizer) lr \(settings.lr); \(compute.productsNote)"
              + (resuming ? "resuming at step \(trainer.step) of \(total)" : "\(total) steps")) }
        let loop = TrainingLoop(
            trainer: trainer, files: files, total: total, evalEvery: evalEvery ?? 250,
            checkpointEvery: checkpointEvery ?? evalEvery ?? 250, skipNonfinite: onNonfinite == .skip,
            runMetadata: ["training.settings": settings.json, "training.total_steps": String(total), "training.data_checksum": checksum,
                          "data_chars": String(tokens.count), "seq_length": String(settings.seqLength), "batch": String(settings.batch),
                          "training.ranks": String(ranks)],
            itemName: "tokens", dataOption: data,
            describeValidation: { result in
                (["bpc": result.loss / Foundation.log(2)],
                 String(format: "validation %.4f nats/char (%.4f bits/char)", result.loss, result.loss / Foundation.log(2)))
            }, resumed: resuming, leader: leader, processGroup: group,
            sample: {
                // 300 characters after a newline, temperature 0.8, the same seed at every checkpoint: the
                // samples differ only by what the model learned in between.
                let sampler = Sampler(model: model, configuration: configuration, temperature: 0.8)
                var generator = RandomGenerator(seed: 1)
                var text = String.UnicodeScalarView()
                sampler.generate(prime: [vocabulary.id(of: "\n") ?? 0], count: 300, using: &generator) { text.append(vocabulary.symbols[$0]) }
                return String(text)
            })
        let start = Date()
        try loop.run()
        let bits = trainer.best.map { String(format: ", best validation %.4f nats/char (%.4f bits/char)", $0.value, $0.value / Foundation.log(2)) } ?? ""
        if leader { print("done: \(trainer.step) steps in \(Progress.duration(Date().timeIntervalSince(start)))\(bits); model in \(files.model.path)") }
        group?.barrier()
        group?.finish()
    }

    /// Runs `body`; on a rank other than 0, a failure exits with its code but without its line, which
    /// rank 0 prints (the ranks run the same checks on the same data and options).
    func asRank(of group: ProcessGroup?, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as UserError where !(group?.isLeader ?? true) {
            throw SilentExit(code: error.kind.rawValue)
        } catch is TrainingStopped where !(group?.isLeader ?? true) {
            throw SilentExit(code: TrainingStopped.exitCode)
        }
    }

    /// The ranks of a `--distributed` run (nil without it).
    func startProcessGroup() throws -> ProcessGroup? {
        guard distributed else { return nil }
        do {
            return try ProcessGroup.start()
        } catch {
            throw UserError("--distributed: \(error); install Open MPI (apt-get install openmpi-bin) and start the ranks with mpirun -np N recur train ... --distributed")
        }
    }

    /// The ranks' checks before training: a resumed run continues with the number of ranks it was
    /// trained with (a step's batch is every rank's, so another count would go on with other batches),
    /// and every rank has the same data and options (rank 0's fingerprint of the settings, the data's
    /// checksum, the steps, --out and --precision; the other ranks' copies of the error go silent in
    /// `asRank`).
    func checkRanks(_ group: ProcessGroup?, saved metadata: [String: String]?, settings: TrainSettings, checksum: String, total: Int) throws {
        let ranks = group?.size ?? 1
        if let metadata, case let trained = metadata["training.ranks"].flatMap(Int.init) ?? 1, trained != ranks {
            throw UserError(trained == 1
                ? "--distributed: the run in \(out) was trained in one process; resume it without mpirun and --distributed"
                : "--resume: the run in \(out) was trained with \(trained) ranks; resume it with mpirun -np \(trained) ... --distributed")
        }
        guard let group else { return }
        let differing = group.ranksDiffering(from: "\(settings.json)|\(checksum)|\(total)|\(out)|\(compute.precision)")
        guard !differing.isEmpty else { return }
        let names = differing.map(String.init).joined(separator: ", ")
        throw UserError("--distributed: rank\(differing.count == 1 ? "" : "s") \(names) of \(group.size) got other data or options than rank 0 (the text's checksum, the settings, --steps, --out and --precision must agree); start every rank with the same command")
    }

    /// Restores a saved run's weights and training state into `trainer` (when `file` is given), and
    /// refuses a run that has already reached `total`.
    func continueRun<Task: TrainingTask>(_ trainer: Trainer<Task>, from file: SafeTensors?, path: URL, total: Int) throws {
        if let file {
            do {
                try ModelCheckpoint.assign(file, to: trainer.task.model)
                try trainer.restore(from: file)
            } catch {
                throw UserError("\(path.path): \(error); it cannot be resumed")
            }
        }
        guard trainer.step < total else {
            throw UserError("--steps: the run in \(out) has already taken \(trainer.step) of \(total) steps; give a larger --steps or --epochs to continue")
        }
    }

    func validateOptions() throws {
        func positive(_ name: String, _ value: Int?, limit: Int = 1 << 20) throws {
            if let value, value <= 0 || value > limit {
                throw UserError("--\(name): must be an integer in 1...\(limit), got \(value)")
            }
        }
        try positive("layers", layers, limit: 64)
        try positive("hidden", hidden, limit: 16384)
        try positive("embedding", embedding, limit: 16384)
        try positive("batch", batch, limit: 65536)
        try positive("seq-length", seqLength, limit: 1 << 16)
        try positive("epochs", epochs, limit: 1 << 20)
        try positive("steps", steps, limit: 1 << 40)
        try positive("eval-every", evalEvery, limit: 1 << 40)
        try positive("checkpoint-every", checkpointEvery, limit: 1 << 40)
        try positive("max-vocab", maxVocab, limit: 1 << 24)
        try positive("tag-column", tagColumn, limit: 1 << 10)
        try positive("lr-step", lrStep, limit: 1 << 40)
        try positive("decoder-layers", decoderLayers, limit: 64)
        try positive("max-source-length", maxSourceLength, limit: 1 << 20)
        try positive("max-target-length", maxTargetLength, limit: 1 << 20)
        try positive("context", context, limit: 1 << 20)
        try positive("horizon", horizon, limit: 1 << 16)
        try positive("seasonal-period", seasonalPeriod, limit: 1 << 16)
        try positive("test-size", testSize, limit: 1 << 24)
        if let difference, difference != 0 && difference != 1 { throw UserError("--difference: must be 0 or 1, got \(difference)") }
        if let quantiles {
            let values = quantiles.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 && $0! < 1 }) else {
                throw UserError("--quantiles: must be numbers in (0, 1) separated by commas, e.g. 0.1,0.5,0.9; got \(quantiles)")
            }
            let sorted = values.map { $0! }
            guard zip(sorted, sorted.dropFirst()).allSatisfy({ $0 < $1 }) else { throw UserError("--quantiles: must increase, each once; got \(quantiles)") }
            guard sorted.contains(0.5) else { throw UserError("--quantiles: must include 0.5, the point forecast; got \(quantiles)") }
            if let loss, loss != .pinball { throw UserError("--quantiles: train with the pinball loss; drop --loss \(loss.rawValue)") }
        }
        if loss == .pinball && quantiles == nil { throw UserError("--loss pinball: give its --quantiles, e.g. 0.1,0.5,0.9") }
        if let teacherForcing, !(teacherForcing >= 0 && teacherForcing <= 1) {
            throw UserError("--teacher-forcing: must be a probability in [0, 1], got \(teacherForcing)")
        }
        if let lrPatience, lrPatience < 0 || lrPatience > 1 << 20 { throw UserError("--lr-patience: must be an integer in 0...\(1 << 20), got \(lrPatience)") }
        try positive("patience", patience, limit: 1 << 20)
        if let warmup, warmup < 0 || warmup > 1 << 40 { throw UserError("--warmup: must be an integer in 0...\(1 << 40), got \(warmup)") }
        if let lrGamma, !(lrGamma > 0 && lrGamma <= 1) { throw UserError("--lr-gamma: must be a number in (0, 1], got \(lrGamma)") }
        if let maxVocab, maxVocab < 2 { throw UserError("--max-vocab: must be at least 2 (the unknown token and one more), got \(maxVocab)") }
        if epochs != nil && steps != nil { throw UserError("--epochs and --steps: give one of them, not both") }
        if let lr, !(lr.isFinite && lr > 0 && lr <= 10) { throw UserError("--lr: must be a number in (0, 10], got \(lr)") }
        if let clip, !(clip.isFinite && clip >= 0) { throw UserError("--clip: must be a non-negative number (0 turns clipping off), got \(clip)") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw UserError("--dropout: must be a number in [0, 1), got \(dropout)") }
        if let valFraction, !(valFraction >= 0 && valFraction <= 0.5) {
            throw UserError("--val-fraction: must be a number in [0, 0.5], got \(valFraction)")
        }
    }

    /// On resume, a model or training option given again must agree with the saved run (except the
    /// learning rate and the clipping threshold).
    func checkUnchanged(_ saved: TrainSettings) throws {
        var given = saved
        applyOptions(to: &given)
        for (name, old, new) in saved.differences(from: given) where !TrainSettings.changeableOnResume.contains(name) {
            throw UserError("--\(name): the run was trained with \(old), not \(new); drop the option to resume, or train into another --out")
        }
    }

    func applyOptions(to settings: inout TrainSettings) {
        if let preset { settings.apply(preset) }
        if let batching { settings.batching = batching.rawValue }
        if let cell { settings.cell = cell.kind.rawValue }
        if let layers { settings.layers = layers }
        if let hidden { settings.hidden = hidden }
        if let embedding { settings.embedding = embedding }
        if let batch { settings.batch = batch }
        if let seqLength { settings.seqLength = seqLength }
        if let lr { settings.lr = lr }
        if let optimizer { settings.optimizer = optimizer.rawValue }
        if let clip { settings.clip = clip }
        if let dropout { settings.dropout = dropout }
        if let initialization { settings.initialization = initialization.rawValue }
        if let valFraction { settings.valFraction = valFraction }
        if let seed { settings.seed = seed }
        if let bidirectional { settings.bidirectional = bidirectional }
        if let pool { settings.pool = pool.rawValue }
        if let tokens { settings.tokens = tokens.rawValue }
        if let maxVocab { settings.maxVocab = maxVocab }
        if let classWeights { settings.classWeights = classWeights.rawValue }
        if let lrSchedule { settings.lrSchedule = lrSchedule.rawValue }
        if let warmup { settings.warmup = warmup }
        if let lrStep { settings.lrStep = lrStep }
        if let lrGamma { settings.lrGamma = lrGamma }
        if let lrPatience { settings.lrPatience = lrPatience }
        if let patience { settings.patience = patience }
        if conditionEveryStep { settings.conditionEveryStep = true }
        if unconditioned { settings.unconditioned = true }
        if let attention { settings.attention = attention.rawValue }
        if let teacherForcing { settings.teacherForcing = teacherForcing }
        if let decoderLayers { settings.decoderLayers = decoderLayers }
        if let targetTokens { settings.targetTokens = targetTokens.rawValue }
        if sharedVocabulary { settings.sharedVocabulary = true }
        if let maxSourceLength { settings.maxSourceLength = maxSourceLength }
        if let maxTargetLength { settings.maxTargetLength = maxTargetLength }
        if let target { settings.target = target }
        if let features { settings.features = features }
        if let time { settings.time = time }
        if let fill { settings.fill = fill.rawValue }
        if let scale { settings.scale = scale.rawValue }
        if let difference { settings.difference = difference }
        if let seasonalPeriod { settings.seasonalPeriod = seasonalPeriod }
        if let context { settings.context = context }
        if let horizon { settings.horizon = horizon }
        if let strategy { settings.strategy = strategy.rawValue }
        if let quantiles {
            settings.quantiles = quantiles
            settings.loss = ForecastLoss.pinball.rawValue
        }
        if let loss { settings.loss = loss.rawValue }
        if let testSize { settings.testSize = testSize }
    }
}

/// Where `--resume-from` continues a run.
enum ResumePoint: String, ExpressibleByArgument, CaseIterable {
    /// training.safetensors: the latest checkpoint (periodic, final or Ctrl-C).
    case latest
    /// best-training.safetensors: the step of the best validation loss.
    case best
}

/// The files of a training run in its --out folder.
struct RunFiles {
    let folder: URL
    var model: URL { folder.appendingPathComponent("model.safetensors") }
    var best: URL { folder.appendingPathComponent("best.safetensors") }
    var training: URL { folder.appendingPathComponent("training.safetensors") }
    var bestTraining: URL { folder.appendingPathComponent("best-training.safetensors") }
    var metrics: URL { folder.appendingPathComponent("metrics.jsonl") }
    var plot: URL { folder.appendingPathComponent("loss.svg") }
    var samples: URL { folder.appendingPathComponent("samples.jsonl") }

    /// Checks the folder (a new run must not overwrite one, a resumed run must exist) and removes
    /// temporary files a killed run left; the folder is created later, by `create`.
    func prepare(resuming: ResumePoint?, folderOption: String) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw UserError("--out \(folderOption): is a file, not a folder; choose a folder for the run")
        }
        let hasRun = FileManager.default.fileExists(atPath: training.path)
        if resuming != nil && !hasRun {
            throw UserError("--out \(folderOption): holds no run to resume (no training.safetensors); drop --resume to start one", kind: .missingInput)
        }
        if resuming == .best && !FileManager.default.fileExists(atPath: bestTraining.path) {
            throw UserError("--out \(folderOption): holds no best checkpoint to resume from (no best-training.safetensors: no validation has run yet); use --resume", kind: .missingInput)
        }
        if resuming == nil && hasRun {
            throw UserError("--out \(folderOption): already holds a run; add --resume to continue it, or choose another --out")
        }
        if exists {
            guard FileManager.default.isWritableFile(atPath: folder.path) else {
                throw UserError("--out \(folderOption): is not writable; choose a folder you can write to", kind: .ioError)
            }
            AtomicFile.removeStaleTemporaries(in: folder)
        }
    }

    /// Creates the folder, once every check has passed (so a refused run leaves nothing behind).
    func create(folderOption: String) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("--out \(folderOption): cannot be created (\((error as NSError).localizedDescription))", kind: .ioError)
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw UserError("--out \(folderOption): is not writable; choose a folder you can write to", kind: .ioError)
        }
    }
}
