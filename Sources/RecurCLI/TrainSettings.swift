import Foundation
import Recur

/// The options that define a training run, saved with it so that --resume continues the same run.
/// A setting added later reads as its default from a run saved before it existed.
struct TrainSettings: Codable, Equatable {
    var task = "lm"
    var cell = "lstm"
    var layers = 2
    var hidden = 512
    var embedding = 64
    var bidirectional = false
    var pool = PoolingKind.last.rawValue
    var tokens = Tokenization.chars.rawValue
    var maxVocab = 0
    var classWeights = "none"
    var batch = 64
    var seqLength = 100
    var lr = 2e-3
    var optimizer = "adam"
    var clip = 5.0
    var dropout = 0.0
    var initialization = "pytorch"
    var valFraction = 0.05
    var lrSchedule = ScheduleKind.constant.rawValue
    var warmup = 0
    var lrStep = 0
    var lrGamma = 0.1
    var lrPatience = 3
    var patience = 0
    var seed: UInt64 = 1
    var conditionEveryStep = false
    var unconditioned = false
    var attention = AttentionKind.bahdanau.rawValue
    var teacherForcing = 1.0
    /// 0: as many as --layers.
    var decoderLayers = 0
    /// Empty: as --tokens.
    var targetTokens = ""
    var sharedVocabulary = false
    /// 0: no limit.
    var maxSourceLength = 0
    var maxTargetLength = 0
    /// Forecasting: the columns (comma-separated names; time empty: none), the window and the data's treatment.
    var target = ""
    var features = ""
    var time = ""
    var fill = MissingValueFill.none.rawValue
    var scale = SeriesScalingKind.standard.rawValue
    var difference = 0
    var seasonalPeriod = 1
    var context = 0
    var horizon = 0
    var strategy = ForecastStrategy.direct.rawValue
    var loss = ForecastLoss.mse.rawValue
    /// Comma-separated; empty unless the pinball loss.
    var quantiles = ""
    /// 0: as --horizon.
    var testSize = 0
    /// A character model of a text: `streams` or `chunks` (`BatchingKind`), and the chunks' shuffle buffer.
    var batching = BatchingKind.streams.rawValue
    var shuffleBuffer = 10_000
    /// Keras's one bias per gate (`RecurrentNetwork.keepOneBias`): bias_hh zero and not trained.
    var oneBias = false

    static let defaults = TrainSettings()

    /// The defaults of a task: the character model's above; a classifier's smaller and one-layer.
    static func defaults(for task: TaskKind) -> TrainSettings {
        var settings = TrainSettings()
        settings.task = task.rawValue
        if task == .classify || task == .tag {
            settings.layers = 1
            settings.hidden = 128
            settings.batch = 32
            settings.lr = 1e-3
            settings.valFraction = 0.1
        }
        if task == .tag {
            settings.bidirectional = true
            settings.tokens = Tokenization.given.rawValue
        }
        if task == .seq2seq {
            settings.cell = CellKind.gru.rawValue
            settings.layers = 1
            settings.hidden = 128
            settings.embedding = 32
            settings.lr = 2e-3
            settings.valFraction = 0.05
        }
        if task == .forecast {
            settings.layers = 1
            settings.hidden = 64
            settings.batch = 32
            settings.lr = 1e-3
            settings.valFraction = 0.1
        }
        return settings
    }

    /// Options that may differ on --resume (the remedies for a diverging run); the rest define the run.
    static let changeableOnResume: Set<String> = ["lr", "clip"]

    static func cellKind(_ name: String) -> CellKind? {
        name == "rnn" ? .rnnTanh : CellKind(rawValue: name)
    }

    var cellKind: CellKind? { Self.cellKind(cell) }

    /// The trainer these settings describe, for a run of `total` steps.
    func trainer<Task: TrainingTask>(for task: Task, total: Int, monitor: Monitor) -> Trainer<Task> {
        let schedule = ScheduleKind(rawValue: lrSchedule) ?? .constant
        return Trainer(task: task, optimizer: optimizerKind!, learningRate: lr, clipNorm: clip > 0 ? clip : nil,
                       schedule: schedule, warmupSteps: warmup,
                       schedulePeriod: schedule == .cosine ? total : (lrStep > 0 ? lrStep : task.stepsPerEpoch),
                       gamma: lrGamma, plateauPatience: lrPatience, patience: patience > 0 ? patience : nil, monitor: monitor)
    }
    var optimizerKind: OptimizerKind? { OptimizerKind(rawValue: optimizer) }
    var initializationKind: WeightInitialization? { WeightInitialization(rawValue: initialization) }
    var taskKind: TaskKind? { TaskKind(rawValue: task) }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    init() {}

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainSettings()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        task = try value(.task, d.task)
        cell = try value(.cell, d.cell)
        layers = try value(.layers, d.layers)
        hidden = try value(.hidden, d.hidden)
        embedding = try value(.embedding, d.embedding)
        bidirectional = try value(.bidirectional, d.bidirectional)
        pool = try value(.pool, d.pool)
        tokens = try value(.tokens, d.tokens)
        maxVocab = try value(.maxVocab, d.maxVocab)
        classWeights = try value(.classWeights, d.classWeights)
        batch = try value(.batch, d.batch)
        seqLength = try value(.seqLength, d.seqLength)
        lr = try value(.lr, d.lr)
        optimizer = try value(.optimizer, d.optimizer)
        clip = try value(.clip, d.clip)
        dropout = try value(.dropout, d.dropout)
        initialization = try value(.initialization, d.initialization)
        valFraction = try value(.valFraction, d.valFraction)
        lrSchedule = try value(.lrSchedule, d.lrSchedule)
        warmup = try value(.warmup, d.warmup)
        lrStep = try value(.lrStep, d.lrStep)
        lrGamma = try value(.lrGamma, d.lrGamma)
        lrPatience = try value(.lrPatience, d.lrPatience)
        patience = try value(.patience, d.patience)
        seed = try value(.seed, d.seed)
        conditionEveryStep = try value(.conditionEveryStep, d.conditionEveryStep)
        unconditioned = try value(.unconditioned, d.unconditioned)
        attention = try value(.attention, d.attention)
        teacherForcing = try value(.teacherForcing, d.teacherForcing)
        decoderLayers = try value(.decoderLayers, d.decoderLayers)
        targetTokens = try value(.targetTokens, d.targetTokens)
        sharedVocabulary = try value(.sharedVocabulary, d.sharedVocabulary)
        maxSourceLength = try value(.maxSourceLength, d.maxSourceLength)
        maxTargetLength = try value(.maxTargetLength, d.maxTargetLength)
        target = try value(.target, d.target)
        features = try value(.features, d.features)
        time = try value(.time, d.time)
        fill = try value(.fill, d.fill)
        scale = try value(.scale, d.scale)
        difference = try value(.difference, d.difference)
        seasonalPeriod = try value(.seasonalPeriod, d.seasonalPeriod)
        context = try value(.context, d.context)
        horizon = try value(.horizon, d.horizon)
        strategy = try value(.strategy, d.strategy)
        loss = try value(.loss, d.loss)
        quantiles = try value(.quantiles, d.quantiles)
        testSize = try value(.testSize, d.testSize)
        batching = try value(.batching, d.batching)
        shuffleBuffer = try value(.shuffleBuffer, d.shuffleBuffer)
        oneBias = try value(.oneBias, d.oneBias)
    }

    /// Sets what `preset` defines, leaving the rest.
    ///
    /// `seedKeras`: seed 003's Keras code as written: `Embedding(vocab, 256)`, one `LSTM(1024,
    /// stateful=True, recurrent_initializer='glorot_uniform')` (the kernel glorot-uniform too, Keras's
    /// default, the biases zero but the forget gate's 1), `Dense(vocab)`; batches of 64 chunks of 100
    /// characters + 1 (`batch(seq_length + 1)`, `shuffle(10000)`, `batch(64, drop_remainder=True)`),
    /// the state carried from batch to batch and reset at each epoch; `tf.keras.optimizers.Adam()`
    /// (lr 0.001, betas 0.9 and 0.999, epsilon 1e-7 Keras's way); no clipping, no dropout; 10 epochs;
    /// the whole text trained on (no validation split).
    mutating func apply(_ preset: Preset) {
        switch preset {
        case .seedKeras:
            cell = CellKind.lstm.rawValue
            layers = 1
            hidden = 1024
            embedding = 256
            batch = 64
            seqLength = 100
            optimizer = OptimizerKind.kerasAdam.rawValue
            lr = 1e-3
            clip = 0
            dropout = 0
            initialization = WeightInitialization.kerasGlorot.rawValue
            valFraction = 0
            batching = BatchingKind.chunks.rawValue
            shuffleBuffer = 10_000
            oneBias = true
        }
    }

    var textOrder: TextStreams.Order {
        batching == BatchingKind.chunks.rawValue ? .shuffledChunks(buffer: shuffleBuffer, seed: seed) : .streams
    }

    init?(json: String) {
        guard let decoded = try? JSONDecoder().decode(TrainSettings.self, from: Data(json.utf8)),
              decoded.cellKind != nil, decoded.optimizerKind != nil, decoded.initializationKind != nil,
              decoded.taskKind != nil, BatchingKind(rawValue: decoded.batching) != nil else { return nil }
        self = decoded
    }

    /// (option name, this value, other value) for each setting that differs. The settings are read
    /// by reflection, so a setting added to the struct is compared without being listed here.
    func differences(from other: TrainSettings) -> [(String, String, String)] {
        zip(Mirror(reflecting: self).children, Mirror(reflecting: other).children).compactMap { mine, theirs in
            let (a, b) = ("\(mine.value)", "\(theirs.value)")
            return a == b ? nil : (Self.optionName(mine.label ?? "?"), a, b)
        }
    }

    /// The command-line option of a setting: `seqLength` -> `seq-length`, `initialization` -> `init`.
    static func optionName(_ property: String) -> String {
        if property == "initialization" { return "init" }
        return property.reduce(into: "") { name, character in
            if character.isUppercase { name += "-" + character.lowercased() } else { name.append(character) }
        }
    }
}
