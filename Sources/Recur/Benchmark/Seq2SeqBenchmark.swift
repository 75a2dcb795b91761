import RecurCore

/// The training and decoding speed of an encoder-decoder, measured as `scripts/bench_seq2seq_pytorch.py`
/// measures its PyTorch twin: random source and target tokens (vocabularies of 64 each), every source
/// and target of full length, Adam at 2e-3, global-norm clipping at 5, teacher forcing; a full training
/// step timed for `seconds` after two warm-up steps, then greedy and beam-5 decoding of batches of
/// sources for `seconds / 2` each. The end symbol's output bias is set very low before decoding, so that
/// every decoding runs its full length in both programs.
public enum Seq2SeqBenchmark {
    public struct Configuration: Sendable, Equatable {
        public var name: String
        public var cell: CellKind
        public var hidden: Int
        public var embedding: Int
        public var attention: AttentionKind
        public var batch: Int
        public var sourceLength: Int
        public var targetLength: Int

        public init(name: String, cell: CellKind, hidden: Int, embedding: Int, attention: AttentionKind, batch: Int,
                    sourceLength: Int, targetLength: Int) {
            self.name = name
            self.cell = cell
            self.hidden = hidden
            self.embedding = embedding
            self.attention = attention
            self.batch = batch
            self.sourceLength = sourceLength
            self.targetLength = targetLength
        }
    }

    public static let vocabularySize = 64

    public static let configurations = [
        Configuration(name: "seq2seq-gru", cell: .gru, hidden: 256, embedding: 64, attention: .bahdanau, batch: 64, sourceLength: 30, targetLength: 30),
    ]

    public struct Result: Sendable {
        public var configuration: Configuration
        public var parameters: Int
        /// Target symbols (decoder steps x batch) per second of training.
        public var trainTokensPerSecond: Double
        public var greedySentencesPerSecond: Double
        public var beamSentencesPerSecond: Double
        public static let beam = 5
    }

    public static func run(_ c: Configuration, seconds: Double, seed: UInt64 = 0, engine: GEMMEngine = .fast) -> Result {
        precondition(seconds > 0, "Seq2SeqBenchmark: expected a positive time, got \(seconds)")
        var generator = RandomGenerator(seed: seed)
        let letters = (0..<(vocabularySize - 1)).map { String(UnicodeScalar(UInt8(48 + $0))) }
        let configuration = Seq2SeqConfiguration(
            sourceVocabulary: TokenVocabulary(tokenization: .chars, tokens: [TokenVocabulary.unknown] + letters),
            targetVocabulary: TokenVocabulary(tokenization: .chars, tokens: [TokenVocabulary.unknown, Seq2SeqConfiguration.beginToken,
                                                                             Seq2SeqConfiguration.endToken] + letters.prefix(vocabularySize - 3)),
            cell: c.cell, hiddenSize: c.hidden, embeddingSize: c.embedding, attention: c.attention, maxTargetLength: c.targetLength)
        let model = Seq2Seq<Float>(configuration, using: &generator)
        model.engine = engine
        let pairs = 4 * c.batch
        let set = Seq2SeqSet(sources: (0..<pairs).map { _ in (0..<c.sourceLength).map { _ in 1 + generator.integer(below: vocabularySize - 1) } },
                             targets: (0..<pairs).map { _ in (0..<(c.targetLength - 1)).map { _ in 3 + generator.integer(below: vocabularySize - 3) } + [Seq2SeqConfiguration.endID] })
        let trainer = Trainer(task: Seq2SeqTask(model: model, training: set, validation: nil, batchSize: c.batch, seed: seed),
                              optimizer: .adam, learningRate: 2e-3, clipNorm: 5)
        for _ in 0..<2 { _ = trainer.trainStep() }
        let stepsPerSecond = timedRepeat(seconds: seconds) { _ = trainer.trainStep() }

        model.head.bias!.value[flat: Seq2SeqConfiguration.endID] = -1e4
        let batch = set.batch(Array(0..<c.batch))
        func sentencesPerSecond(_ decode: () -> Void) -> Double {
            decode()
            return Double(c.batch) * timedRepeat(seconds: seconds / 2, decode)
        }
        let greedy = sentencesPerSecond {
            _ = model.greedy(source: batch.source, steps: batch.sourceSteps, lengths: batch.sourceLengths, maxLength: c.targetLength)
        }
        let beam = sentencesPerSecond {
            _ = model.beamSearch(source: batch.source, steps: batch.sourceSteps, lengths: batch.sourceLengths, beam: Result.beam,
                                 lengthPenalty: 1, maxLength: c.targetLength)
        }
        return Result(configuration: c, parameters: model.parameterCount,
                      trainTokensPerSecond: stepsPerSecond * Double(c.batch * c.targetLength),
                      greedySentencesPerSecond: greedy, beamSentencesPerSecond: beam)
    }
}
