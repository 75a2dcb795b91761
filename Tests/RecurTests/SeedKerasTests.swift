import Foundation
import Testing
import Recur
import _RecurTestSupport

/// The seed article's Keras recipe (`recur train --preset seed-keras`): Keras's Adam against
/// TensorFlow's (golden), the shuffled-chunk batching of tf.data, and the glorot-uniform recurrent
/// initialisation.
struct SeedKerasTests {
    static func fixture(_ name: String) throws -> Fixture {
        try Fixture.load(try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")))
    }

    @Test("three steps of the seed's Keras model under keras-adam give TensorFlow's losses and weights (fixture by scripts/make_keras_fixtures.py)")
    func kerasGolden() throws {
        let f = try Self.fixture("keras_seed_step")
        let V = f.int("V"), E = f.int("E"), H = f.int("H"), B = f.int("B"), T = f.int("T")
        let configuration = CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: H, embeddingSize: E,
                                                 vocabulary: Vocabulary(symbols: (0..<V).map { Unicode.Scalar(UInt8(97 + $0)) }))
        var generator = RandomGenerator(seed: 1)
        let model: CharRNN<Float> = configuration.makeModel(using: &generator)
        for (name, parameter) in model.namedParameters { parameter.value = f.tensor("before." + name) }
        model.rnn.keepOneBias()
        let optimizer = OptimizerKind.kerasAdam.make(parameters: model.parameters, learningRate: 1e-3)
        let losses: Tensor<Double> = f.tensor("losses")
        for step in 0..<f.int("steps") {
            let batch: Tensor<Double> = f.tensor("batch\(step)")  // [B, T + 1], batch-major
            var inputs = [Int](repeating: 0, count: T * B), targets = inputs
            for t in 0..<T {
                for b in 0..<B {
                    inputs[t * B + b] = Int(batch[b, t])
                    targets[t * B + b] = Int(batch[b, t + 1])
                }
            }
            model.zeroGradients()
            let (loss, _) = model.lossAndGradients(.init(inputs: inputs, targets: targets, steps: T, batch: B))
            #expect(abs(loss - losses[flat: step]) <= 1e-5, "step \(step): loss \(loss), TensorFlow's \(losses[flat: step])")
            optimizer.step()
        }
        for (name, parameter) in model.namedParameters {
            let expected: Tensor<Float> = f.tensor("after." + name)
            var worst: Float = 0
            for i in 0..<expected.count { worst = max(worst, abs(parameter.value[flat: i] - expected[flat: i])) }
            #expect(worst <= 2e-6, "\(name): largest difference from TensorFlow's \(worst)")
        }
    }

    @Test("keras-adam adds epsilon to sqrt(v) before the bias correction (Keras's formula, in Double), unlike PyTorch's Adam")
    func kerasEpsilonPlacement() {
        // A gradient so small that epsilon decides the step.
        let gradients: [Double] = [3e-7, -1e-7, 2e-7, 5e-8]
        func run(_ keras: Bool) -> Double {
            let parameter = Parameter(Tensor<Double>(shape: [1], scalars: [0.5]))
            let adam = Adam(parameters: [parameter], learningRate: 1e-3, epsilon: 1e-7, epsilonOutsideCorrection: keras)
            for g in gradients {
                parameter.gradient = Tensor(shape: [1], scalars: [g])
                adam.step()
            }
            return parameter.value[0]
        }
        var p = 0.5, m = 0.0, v = 0.0
        for (i, g) in gradients.enumerated() {
            let t = Double(i + 1)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            p -= 1e-3 * (1 - pow(0.999, t)).squareRoot() / (1 - pow(0.9, t)) * m / (v.squareRoot() + 1e-7)
        }
        #expect(abs(run(true) - p) <= 1e-15, "keras-adam \(run(true)) vs Keras's formula \(p)")
        #expect(abs(run(false) - p) >= 1e-5, "PyTorch's placement should differ here (\(run(false)) vs \(p))")
    }

    @Test("a frozen parameter keeps its value under every optimiser and counts in neither the global norm nor the parameter count")
    func frozenParameters() {
        for kind in OptimizerKind.allCases {
            let moving = Parameter(Tensor<Float>(shape: [2], scalars: [1, 2])), frozen = Parameter(Tensor<Float>(shape: [2], scalars: [3, 4]))
            frozen.isFrozen = true
            let optimizer = kind.make(parameters: [moving, frozen], learningRate: 0.1)
            for _ in 0..<3 {
                moving.gradient = Tensor(shape: [2], scalars: [0.5, -0.5])
                frozen.gradient = Tensor(shape: [2], scalars: [3, 4])
                optimizer.step()
            }
            #expect(frozen.value.scalars == [3, 4] && moving.value.scalars != [1, 2], "\(kind)")
            #expect(abs(GradientClipping.globalNorm(of: [moving, frozen]) - 0.5 * 2.0.squareRoot()) <= 1e-12, "\(kind)")
        }
        let (H, E) = (6, 4)
        var generator = RandomGenerator(seed: 1)
        let model: CharRNN<Float> = CharRNNConfiguration(cell: .lstm, layers: 2, hiddenSize: H, embeddingSize: E,
                                                         vocabulary: Vocabulary(text: "abc")).makeModel(using: &generator)
        let before = model.parameterCount
        model.rnn.keepOneBias()
        #expect(before - model.parameterCount == 2 * 4 * H)
    }

    static let tokens = (0..<5_000).map { ($0 * 7919) % 53 }

    @Test("shuffled chunks: each epoch reads every whole batch's chunks once, inputs and targets one chunk shifted by one, in an order set by seed and epoch")
    func shuffledChunks() {
        let streams = TextStreams(tokens: Self.tokens, batch: 8, steps: 20, order: .shuffledChunks(buffer: 30, seed: 4))
        #expect(streams.chunkCount == 5_000 / 21 && streams.batchesPerEpoch == (5_000 / 21) / 8)
        let epoch0 = streams.chunkOrder(epoch: 0), epoch1 = streams.chunkOrder(epoch: 1)
        #expect(epoch0.sorted() == Array(0..<streams.chunkCount) && epoch1.sorted() == epoch0.sorted())
        #expect(epoch0 != epoch1 && epoch0 != Array(0..<streams.chunkCount))
        #expect(TextStreams(tokens: Self.tokens, batch: 8, steps: 20, order: .shuffledChunks(buffer: 30, seed: 4)).chunkOrder(epoch: 1) == epoch1)
        #expect(TextStreams(tokens: Self.tokens, batch: 8, steps: 20, order: .shuffledChunks(buffer: 30, seed: 5)).chunkOrder(epoch: 1) != epoch1)
        // A buffer of 30 cannot put a chunk more than 29 places before its place in the text...
        #expect(epoch0.enumerated().allSatisfy { $0.element < $0.offset + 30 })
        // ... and a buffer of 1 keeps the text's order.
        #expect(TextStreams(tokens: Self.tokens, batch: 8, steps: 20, order: .shuffledChunks(buffer: 1, seed: 4)).chunkOrder(epoch: 3)
                == Array(0..<streams.chunkCount))
        for k in [0, 5, streams.batchesPerEpoch - 1] {
            let (inputs, targets) = streams.batch(k, epoch: 1)
            for b in 0..<8 {
                let start = epoch1[k * 8 + b] * 21
                #expect((0..<20).map { inputs[$0 * 8 + b] } == Array(Self.tokens[start..<(start + 20)]))
                #expect((0..<20).map { targets[$0 * 8 + b] } == Array(Self.tokens[(start + 1)..<(start + 21)]))
            }
        }
    }

    @Test("shuffled chunks, data-parallel: the shards' batches side by side are one process's batch")
    func shuffledChunkShards() {
        let order = TextStreams.Order.shuffledChunks(buffer: 100, seed: 9)
        let whole = TextStreams(tokens: Self.tokens, batch: 6, steps: 10, order: order)
        let shards = (0..<3).map { TextStreams(tokens: Self.tokens, batch: 2, steps: 10, shard: $0, of: 3, order: order) }
        #expect(shards.allSatisfy { $0.batchesPerEpoch == whole.batchesPerEpoch })
        for k in [0, 7] {
            let expected = whole.batch(k, epoch: 2)
            let parts = shards.map { $0.batch(k, epoch: 2) }
            for t in 0..<10 {
                for b in 0..<6 {
                    #expect(parts[b / 2].inputs[t * 2 + b % 2] == expected.inputs[t * 6 + b])
                    #expect(parts[b / 2].targets[t * 2 + b % 2] == expected.targets[t * 6 + b])
                }
            }
        }
    }

    @Test("keras-glorot: kernel and recurrent kernel glorot-uniform over the whole matrices, biases zero but the forget gate's 1, embedding within 0.05")
    func glorotRecurrentInitialisation() {
        let H = 64, E = 32
        let configuration = CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: H, embeddingSize: E,
                                                 vocabulary: Vocabulary(text: "abcdefgh"), initialization: .kerasGlorot)
        var generator = RandomGenerator(seed: 2)
        let model: CharRNN<Float> = configuration.makeModel(using: &generator)
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
        func spread(_ t: Tensor<Float>) -> Float { t.scalars.map(abs).max()! }
        let recurrentBound = Float((6.0 / Double(H + 4 * H)).squareRoot()), kernelBound = Float((6.0 / Double(E + 4 * H)).squareRoot())
        #expect(spread(named["rnn.weight_hh_l0"]!) <= recurrentBound && spread(named["rnn.weight_hh_l0"]!) >= 0.98 * recurrentBound)
        #expect(spread(named["rnn.weight_ih_l0"]!) <= kernelBound && spread(named["rnn.weight_ih_l0"]!) >= 0.98 * kernelBound)
        let bias = named["rnn.bias_ih_l0"]!
        #expect((0..<(4 * H)).allSatisfy { bias[flat: $0] == ($0 / H == 1 ? 1 : 0) } && named["rnn.bias_hh_l0"]!.scalars.allSatisfy { $0 == 0 })
        #expect(spread(named["embedding.weight"]!) <= 0.05 && named["head.bias"]!.scalars.allSatisfy { $0 == 0 })
        // Keras's default (orthogonal recurrent) is another matrix.
        var other = RandomGenerator(seed: 2)
        let keras: CharRNN<Float> = CharRNNConfiguration(cell: .lstm, layers: 1, hiddenSize: H, embeddingSize: E,
                                                         vocabulary: Vocabulary(text: "abcdefgh"), initialization: .keras).makeModel(using: &other)
        #expect(keras.namedParameters.first { $0.name == "rnn.weight_hh_l0" }!.parameter.value != named["rnn.weight_hh_l0"]!)
    }
}
