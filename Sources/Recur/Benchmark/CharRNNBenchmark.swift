import RecurCore

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// The training and sampling speed of a character model of a given shape, measured the way the PyTorch
/// reference (`../shared/bench/pytorch_charrnn.py`) measures it: vocabulary 65, random tokens, Adam at
/// 2e-3, global-norm clipping at 5, a full training step (forward, loss, backward, clip, update) timed
/// for a fixed time after two warm-up steps, then batch-1 sampling at temperature 0.8 for half that time.
public enum CharRNNBenchmark {
    /// One benchmark shape.
    public struct Configuration: Sendable, Equatable {
        public var name: String
        public var embedding: Int
        public var hidden: Int
        public var layers: Int
        public var batch: Int
        public var steps: Int
        public var cell: CellKind

        public init(name: String, embedding: Int, hidden: Int, layers: Int, batch: Int, steps: Int, cell: CellKind) {
            self.name = name
            self.embedding = embedding
            self.hidden = hidden
            self.layers = layers
            self.batch = batch
            self.steps = steps
            self.cell = cell
        }
    }

    /// The vocabulary size of every configuration.
    public static let vocabularySize = 65

    /// The reference's five configurations, in its order.
    public static let configurations: [Configuration] = [
        Configuration(name: "small-lstm", embedding: 32, hidden: 128, layers: 1, batch: 32, steps: 64, cell: .lstm),
        Configuration(name: "charrnn-default", embedding: 64, hidden: 128, layers: 2, batch: 50, steps: 50, cell: .lstm),
        Configuration(name: "medium-lstm", embedding: 64, hidden: 512, layers: 2, batch: 64, steps: 100, cell: .lstm),
        Configuration(name: "seed-keras", embedding: 256, hidden: 1024, layers: 1, batch: 64, steps: 100, cell: .lstm),
        Configuration(name: "medium-gru", embedding: 64, hidden: 512, layers: 2, batch: 64, steps: 100, cell: .gru),
    ]

    /// What one configuration measured.
    public struct Result: Sendable {
        public var configuration: Configuration
        /// Parameters other than the embedding table (the reference's FLOP count basis).
        public var parametersWithoutEmbedding: Int
        public var trainTokensPerSecond: Double
        public var sampleCharactersPerSecond: Double
        /// 6 x parameters without the embedding x tokens/s, in GFLOP/s.
        public var trainGFLOPS: Double { 6 * Double(parametersWithoutEmbedding) * trainTokensPerSecond / 1e9 }
    }

    /// A vocabulary of `vocabularySize` distinct printable symbols.
    public static var vocabulary: Vocabulary {
        Vocabulary(symbols: (0..<vocabularySize).map { Unicode.Scalar(UInt8(33 + $0)) })
    }

    /// Trains for `seconds`, then samples for `seconds / 2`.
    public static func run(_ c: Configuration, seconds: Double, seed: UInt64 = 0, engine: GEMMEngine = .fast) -> Result {
        precondition(seconds > 0, "CharRNNBenchmark: expected a positive time, got \(seconds)")
        var generator = RandomGenerator(seed: seed)
        let trainer = makeTrainer(c, using: &generator, engine: engine)
        let model = trainer.task.model
        for _ in 0..<2 { _ = trainer.trainStep() }
        let stepsPerSecond = timedRepeat(seconds: seconds) { _ = trainer.trainStep() }

        let sampler = Sampler(model: model, configuration: model.configuration, temperature: 0.8)
        sampler.reset()
        var next = 0
        let charactersPerSecond = timedRepeat(seconds: seconds / 2) {
            sampler.feed(next)
            next = sampler.draw(using: &generator)
        }

        return Result(
            configuration: c,
            parametersWithoutEmbedding: model.parameterCount - model.embedding.weight.value.count,
            trainTokensPerSecond: stepsPerSecond * Double(c.batch * c.steps),
            sampleCharactersPerSecond: charactersPerSecond)
    }

    /// A model of shape `c` and its trainer (Adam 2e-3, clip 5) on random text, enough for a few
    /// distinct batches of all `shards` (the streams wrap around at the epoch's end); this process
    /// trains shard `shard`'s streams.
    static func makeTrainer(_ c: Configuration, using generator: inout RandomGenerator, engine: GEMMEngine,
                            shard: Int = 0, of shards: Int = 1) -> Trainer<LanguageModelTask> {
        let configuration = CharRNNConfiguration(cell: c.cell, layers: c.layers, hiddenSize: c.hidden,
                                                 embeddingSize: c.embedding, vocabulary: vocabulary)
        let model = configuration.makeModel(using: &generator)
        model.engine = engine
        let tokens = (0..<(4 * shards * c.batch * c.steps + 1)).map { _ in Int(generator.next() % UInt64(vocabularySize)) }
        let streams = TextStreams(tokens: tokens, batch: c.batch, steps: c.steps, shard: shard, of: shards)
        return Trainer(task: LanguageModelTask(model: model, streams: streams), optimizer: .adam, learningRate: 2e-3, clipNorm: 5)
    }

    /// How the time loops multiply by W_hh on this machine, for the bench's header: packed once per loop
    /// (`PackedProduct`, with its implementation's name: oneDNN's brgemm, or Recur's panel kernel where
    /// oneDNN's matmul keeps B plain), or `gemm` at every step, where neither keeps a packed layout (the
    /// baseline instruction set on oneDNN 2.6's AVX2 `gemm:jit`) or there is no packed product (macOS).
    public static func recurrentProducts(bfloat16: Bool = false) -> String {
        let (m, n, k) = (64, 2048, 512)  // one step of a 512-unit LSTM, as in measureGEMMPeak
        guard let probe = PackedProduct(m: m, n: n, k: k, lda: k, ldc: n, strideK: 1, strideN: k, bfloat16: bfloat16) else {
            return "W_hh by gemm at every step (no packed product here)"
        }
        return probe.sparesWorkPerCall ? "W_hh packed once per loop (\(probe.implementation))"
            : "W_hh by gemm at every step (the matmul here, \(probe.implementation), keeps no packed layout)"
    }

    /// The best fp32 GEMM rate of the fast engine, in GFLOP/s, over two shapes: one LSTM step's product
    /// (`64 x 2048 x 512`, B^T) and a large square product (`1024^3`), each run for `seconds` in five
    /// windows, the best window counting.
    public static func measureGEMMPeak(seconds: Double = 0.5) -> (stepShape: Double, large: Double) {
        func rate(m: Int, n: Int, k: Int, transB: Bool) -> Double {
            let a = ScratchBuffer<Float>(count: m * k), b = ScratchBuffer<Float>(count: k * n)
            let c = ScratchBuffer<Float>(count: m * n)
            a.fill(0.01)
            b.fill(0.02)
            c.fill(0)
            func once() {
                gemm(transB: transB, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: transB ? k : n,
                     c: c.pointer, ldc: n)
            }
            once()
            // The best of five windows: on a shared machine a window that another process disturbed
            // understates the peak, and "of peak" would then exceed what the machine can do.
            var best = 0.0
            for _ in 0..<5 {
                var count = 0
                let start = monotonicSeconds()
                repeat {
                    once()
                    count += 1
                } while monotonicSeconds() - start < seconds / 5
                best = max(best, 2 * Double(m * n * k) * Double(count) / (monotonicSeconds() - start) / 1e9)
            }
            return best
        }
        return (rate(m: 64, n: 2048, k: 512, transB: true), rate(m: 1024, n: 1024, k: 1024, transB: false))
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Calls `body` at least once and until `seconds` have passed (on a monotonic clock); returns calls
/// per second. Every benchmark's timed loop.
func timedRepeat(seconds: Double, _ body: () -> Void) -> Double {
    var calls = 0
    let start = monotonicSeconds()
    repeat {
        body()
        calls += 1
    } while monotonicSeconds() - start < seconds
    return Double(calls) / (monotonicSeconds() - start)
}
