import RecurCore

/// The training and inference speed of the classifier, tagger and forecaster, on the shapes of the
/// README's side-by-side runs, measured as `scripts/bench_tasks_pytorch.py` measures the same models in
/// PyTorch: random inputs, every sequence of full length, Adam at the task's learning rate, clipping at
/// 5; a full training step timed for `seconds` after two warm-up steps, then the model in evaluation
/// mode on batches of the same shape (logits, or forecasts) for `seconds / 2`.
public enum TaskBenchmark {
    public enum Kind: String, Sendable {
        case classify, tag, forecast
    }

    public struct Configuration: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public var cell: CellKind
        public var hidden: Int
        public var bidirectional: Bool
        /// A token vocabulary (embedded) or nil for numeric features.
        public var vocabulary: Int?
        public var embedding: Int
        /// Numeric features per step (classification) or target series (forecasting).
        public var features: Int
        /// Classes or tags.
        public var classes: Int
        public var pooling: PoolingKind
        public var batch: Int
        /// Sequence length, or the forecaster's context.
        public var steps: Int
        /// The forecaster's horizon (direct strategy, mean squared error).
        public var horizon: Int
        public var learningRate: Double
    }

    /// The README's runs: BasicMotions, JapaneseVowels, Shakespeare's punctuation (8 words: the
    /// corpus's token-weighted mean line) and the weekly CO2 series.
    public static let configurations = [
        Configuration(name: "classify-gru", kind: .classify, cell: .gru, hidden: 64, bidirectional: true, vocabulary: nil, embedding: 0,
                      features: 6, classes: 4, pooling: .mean, batch: 8, steps: 100, horizon: 0, learningRate: 3e-3),
        Configuration(name: "classify-lstm", kind: .classify, cell: .lstm, hidden: 64, bidirectional: false, vocabulary: nil, embedding: 0,
                      features: 12, classes: 9, pooling: .last, batch: 16, steps: 29, horizon: 0, learningRate: 3e-3),
        Configuration(name: "tag-lstm", kind: .tag, cell: .lstm, hidden: 128, bidirectional: true, vocabulary: 20000, embedding: 64,
                      features: 0, classes: 16, pooling: .last, batch: 64, steps: 8, horizon: 0, learningRate: 2e-3),
        Configuration(name: "forecast-lstm", kind: .forecast, cell: .lstm, hidden: 64, bidirectional: false, vocabulary: nil, embedding: 0,
                      features: 1, classes: 0, pooling: .last, batch: 32, steps: 104, horizon: 52, learningRate: 1e-3),
    ]

    public struct Result: Sendable {
        public var configuration: Configuration
        public var parameters: Int
        /// Input steps (sequence length or context, times the batch) per second of training.
        public var trainTokensPerSecond: Double
        /// Sequences (or windows) per second through the model in evaluation mode.
        public var inferSequencesPerSecond: Double
    }

    public static func run(_ c: Configuration, seconds: Double, seed: UInt64 = 0, engine: GEMMEngine = .fast) -> Result {
        precondition(seconds > 0, "TaskBenchmark: expected a positive time, got \(seconds)")
        var generator = RandomGenerator(seed: seed)
        let examples = 4 * c.batch
        switch c.kind {
        case .classify, .tag:
            let input: SequenceInput = c.vocabulary.map { .tokens(vocabularySize: $0, embeddingSize: c.embedding) } ?? .features(c.features)
            let inputs: EncodedSequences.Inputs
            if let V = c.vocabulary {
                inputs = .tokens((0..<examples).map { _ in (0..<c.steps).map { _ in generator.integer(below: V) } })
            } else {
                inputs = .features(width: c.features, (0..<examples).map { _ in (0..<(c.steps * c.features)).map { _ in generator.normal(Float.self) } })
            }
            let names = (0..<c.classes).map { "c\($0)" }
            if c.kind == .classify {
                let model = SequenceClassifier<Float>(SequenceClassifierConfiguration(
                    input: input, cell: c.cell, hiddenSize: c.hidden, bidirectional: c.bidirectional, pooling: c.pooling, labels: names),
                                                      using: &generator)
                model.engine = engine
                let data = EncodedSequences(inputs: inputs, labels: (0..<examples).map { _ in generator.integer(below: c.classes) })
                let trainer = Trainer(task: ClassificationTask(model: model, training: data, validation: nil, batchSize: c.batch, seed: seed),
                                      optimizer: .adam, learningRate: c.learningRate, clipNorm: 5)
                let batch = data.batch(Array(0..<c.batch))
                return measure(c, seconds: seconds, parameters: model.parameterCount, train: { _ = trainer.trainStep() },
                               model: model, infer: { _ = model.logits(batch) })
            }
            let model = SequenceTagger<Float>(SequenceTaggerConfiguration(
                input: input, cell: c.cell, hiddenSize: c.hidden, bidirectional: c.bidirectional, tags: names), using: &generator)
            model.engine = engine
            let data = EncodedSequences(inputs: inputs, labels: Array(repeating: 0, count: examples),
                                        tags: (0..<examples).map { _ in (0..<c.steps).map { _ in generator.integer(below: c.classes) } })
            let trainer = Trainer(task: TaggingTask(model: model, training: data, validation: nil, batchSize: c.batch, seed: seed),
                                  optimizer: .adam, learningRate: c.learningRate, clipNorm: 5)
            let batch = data.batch(Array(0..<c.batch))
            return measure(c, seconds: seconds, parameters: model.parameterCount, train: { _ = trainer.trainStep() },
                           model: model, infer: { _ = model.logits(batch) })
        case .forecast:
            let configuration = ForecasterConfiguration(cell: c.cell, hiddenSize: c.hidden, context: c.steps, horizon: c.horizon,
                                                        targetNames: (0..<c.features).map { "y\($0)" })
            let model = Forecaster<Float>(configuration, using: &generator)
            model.engine = engine
            // A random walk long enough for `examples` windows, one step apart.
            let rows = c.steps + c.horizon + examples
            var level = 0.0
            var values = [Float]()
            for _ in 0..<(rows * c.features) {
                level += generator.normal(Double.self) * 0.1
                values.append(Float(level))
            }
            let windows = ForecastWindows(series: ForecastSeries(values: values, rows: rows, width: c.features),
                                          origins: Array(c.steps..<(c.steps + examples)), context: c.steps, horizon: c.horizon)
            let trainer = Trainer(task: ForecastTask(model: model, training: windows, validation: nil, batchSize: c.batch, seed: seed),
                                  optimizer: .adam, learningRate: c.learningRate, clipNorm: 5)
            let batch = windows.batch(Array(0..<c.batch))
            return measure(c, seconds: seconds, parameters: model.parameterCount, train: { _ = trainer.trainStep() },
                           model: model, infer: { _ = model.forecastTensor(batch) })
        }
    }

    /// Times `train` for `seconds` after two warm-up calls, then `infer` with the model in evaluation
    /// mode for half that.
    static func measure(_ c: Configuration, seconds: Double, parameters: Int, train: () -> Void,
                        model: some RecurModel, infer: () -> Void) -> Result {
        for _ in 0..<2 { train() }
        let trainSteps = timedRepeat(seconds: seconds, train)
        let mode = model.enterInference()
        infer()
        let inferCalls = timedRepeat(seconds: seconds / 2, infer)
        model.restore(mode)
        return Result(configuration: c, parameters: parameters,
                      trainTokensPerSecond: Double(c.batch * c.steps) * trainSteps,
                      inferSequencesPerSecond: Double(c.batch) * inferCalls)
    }
}
