import Foundation
import Testing
import Recur
import _RecurTestSupport

struct InitializerTests {
    @Test("PyTorch initialisation: every recurrent tensor uniform in ±1/sqrt(H)")
    func pytorch() {
        var g = RandomGenerator(seed: 1)
        let lstm = LSTM<Float>(inputSize: 10, hiddenSize: 25, layers: 2, using: &g)
        for (name, parameter) in lstm.namedParameters {
            let values = parameter.value.scalars
            #expect(values.allSatisfy { abs($0) <= 0.2 }, "\(name)")
            #expect(values.map { abs($0) }.max()! > 0.18, "\(name) does not fill its range")
        }
    }

    @Test("Keras initialisation: glorot input weights, orthogonal recurrent weights, forget bias 1",
          arguments: CellKind.allCases)
    func keras(cell: CellKind) {
        var g = RandomGenerator(seed: 2)
        let H = 16, I = 8, G = cell.gateCount
        let net = RecurrentNetwork<Double>(cell: cell, inputSize: I, hiddenSize: H, initialization: .keras, using: &g)
        let p = Dictionary(uniqueKeysWithValues: net.namedParameters.map { ($0.name, $0.parameter.value) })
        let glorot = (6.0 / Double(G * H + I)).squareRoot()
        #expect(p["weight_ih_l0"]!.scalars.allSatisfy { abs($0) <= glorot })
        // W_hh [G*H, H]: its H columns are orthonormal.
        let w = p["weight_hh_l0"]!
        for a in 0..<H {
            for b in 0..<H {
                var dot = 0.0
                for r in 0..<(G * H) { dot += w[r, a] * w[r, b] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-9)
            }
        }
        let bias = p["bias_ih_l0"]!.scalars
        for (j, value) in bias.enumerated() {
            let expected: Double = cell == .lstm && j / H == CellKind.lstmForgetGate ? 1 : 0
            #expect(value == expected)
        }
        #expect(p["bias_hh_l0"]!.scalars.allSatisfy { $0 == 0 })
    }

    @Test("orthogonal matrices wider than tall have orthonormal rows")
    func orthogonalWide() {
        var g = RandomGenerator(seed: 3)
        let w: Tensor<Double> = Initializer.orthogonal(shape: [3, 7], using: &g)
        for a in 0..<3 {
            for b in 0..<3 {
                let dot = (0..<7).reduce(0.0) { $0 + w[a, $1] * w[b, $1] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test("the same seed builds the same network")
    func seeded() {
        var a = RandomGenerator(seed: 4), b = RandomGenerator(seed: 4)
        let x = LSTM<Float>(inputSize: 3, hiddenSize: 5, layers: 2, using: &a)
        let y = LSTM<Float>(inputSize: 3, hiddenSize: 5, layers: 2, using: &b)
        #expect(x.parameters.map(\.value) == y.parameters.map(\.value))
    }
}

struct ScheduleTests {
    @Test("learning-rate schedules give PyTorch's values")
    func values() {
        let base = 0.1
        #expect(LearningRateSchedule.constant.learningRate(base: base, step: 1000) == 0.1)
        let step = LearningRateSchedule.stepDecay(every: 10, gamma: 0.5)
        #expect(step.learningRate(base: base, step: 9) == 0.1)
        #expect(step.learningRate(base: base, step: 10) == 0.05)
        #expect(abs(step.learningRate(base: base, step: 25) - 0.025) < 1e-15)
        #expect(abs(LearningRateSchedule.exponential(gamma: 0.9).learningRate(base: base, step: 3) - 0.0729) < 1e-15)
        let cosine = LearningRateSchedule.cosine(steps: 100, minimum: 0.01)
        #expect(cosine.learningRate(base: base, step: 0) == 0.1)
        #expect(abs(cosine.learningRate(base: base, step: 50) - 0.055) < 1e-12)
        #expect(abs(cosine.learningRate(base: base, step: 100) - 0.01) < 1e-12)
        #expect(abs(cosine.learningRate(base: base, step: 500) - 0.01) < 1e-12)
        let warm = LearningRateSchedule.warmup(steps: 4, then: .exponential(gamma: 0.5))
        let rates = [0, 1, 2, 3, 4, 5].map { warm.learningRate(base: base, step: $0) }
        for (rate, expected) in zip(rates, [0.025, 0.05, 0.075, 0.1, 0.1, 0.05]) { #expect(abs(rate - expected) < 1e-15) }
    }
}

struct ClippingTests {
    @Test("clipping by value clamps each element; by norm leaves small gradients alone")
    func clipping() {
        let p = Parameter<Float>(Tensor(shape: [4]))
        p.gradient = Tensor(shape: [4], scalars: [-3, 0.5, 2, -0.1])
        GradientClipping.clipByValue([p], limit: 1)
        #expect(p.gradient.scalars == [-1, 0.5, 1, -0.1])
        p.gradient = Tensor(shape: [4], scalars: [0.3, 0.4, 0, 0])
        let norm = GradientClipping.clipByGlobalNorm([p], maxNorm: 5)
        #expect(abs(norm - 0.5) < 1e-7)
        #expect(p.gradient.scalars == [0.3, 0.4, 0, 0])
    }

    @Test("an optimiser step moves against the gradient and zeroing clears gradients")
    func stepAndZero() {
        var g = RandomGenerator(seed: 5)
        let layer = Linear<Float>(inputSize: 2, outputSize: 1, using: &g)
        let before = layer.weight.value
        layer.weight.gradient = Tensor(shape: [1, 2], scalars: [1, -1])
        SGD(parameters: layer.parameters, learningRate: 0.5).step()
        #expect(layer.weight.value[0, 0] == before[0, 0] - 0.5)
        #expect(layer.weight.value[0, 1] == before[0, 1] + 0.5)
        layer.zeroGradients()
        #expect(layer.weight.gradient.scalars == [0, 0])
    }
}

struct LossTests {
    @Test("cross-entropy over many rows (split across threads) matches a Double libm reference, with a mask")
    func crossEntropyManyRows() {
        let rows = 1_001, classes = 65
        var g = RandomGenerator(seed: 21)
        let logits = Initializer.uniform(shape: [rows, classes], bound: Float(8), using: &g)
        let targets = (0..<rows).map { _ in Int(g.next() % UInt64(classes)) }
        let mask = (0..<rows).map { $0 % 7 != 3 }
        let (loss, gradient) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets, mask: mask)
        let counted = Double(mask.filter { $0 }.count)
        var expectedLoss = 0.0
        var worst = 0.0
        for r in 0..<rows {
            let z = (0..<classes).map { Double(logits[flat: r * classes + $0]) }
            let m = z.max()!
            let sum = z.reduce(0) { $0 + Foundation.exp($1 - m) }
            if mask[r] { expectedLoss += (Foundation.log(sum) - (z[targets[r]] - m)) / counted }
            for j in 0..<classes {
                let p = Foundation.exp(z[j] - m) / sum
                let expected = mask[r] ? (p - (j == targets[r] ? 1 : 0)) / counted : 0
                worst = worse(worst, abs(Double(gradient[flat: r * classes + j]) - expected))
            }
        }
        #expect(abs(loss - expectedLoss) <= 1e-6 * expectedLoss, "loss \(loss), expected \(expectedLoss)")
        #expect(worst <= 1e-9, "gradient: worst difference \(worst)")
    }
}

struct TrainingGuardTests {
    @Test("a refused step leaves parameters and optimiser state untouched and drops a non-finite carried state")
    func refusedStep() {
        let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 20)
        let vocabulary = Vocabulary(text: text)
        let tokens = try! vocabulary.encode(text)
        var g = RandomGenerator(seed: 4)
        let model = CharRNNConfiguration(cell: .gru, layers: 1, hiddenSize: 8, embeddingSize: 4, vocabulary: vocabulary)
            .makeModel(using: &g)
        let trainer = Trainer(task: LanguageModelTask(model: model, streams: TextStreams(tokens: tokens, batch: 4, steps: 10)),
                              optimizer: .adam, learningRate: 0.01, clipNorm: 5)
        _ = trainer.trainStep()
        // Poison one recurrent weight: the next loss and gradient norm are NaN.
        model.rnn.parameters[1].value[flat: 0] = .nan
        let values = model.parameters.map(\.value), slots = trainer.optimizer.slots
        var seen: (Double, Double)? = nil
        let result = trainer.trainStep { loss, norm in
            seen = (loss, norm)
            return loss.isFinite && norm.isFinite
        }
        #expect(seen.map { $0.0.isNaN && $0.1.isNaN } == true)
        #expect(!result.applied && result.loss.isNaN)
        #expect(trainer.step == 2)
        #expect(trainer.task.state == nil)  // the carried state was NaN
        #expect(trainer.optimizer.slots == slots)
        for (before, after) in zip(values, model.parameters.map(\.value)) {
            #expect(before.scalars.map(\.bitPattern) == after.scalars.map(\.bitPattern))
        }
        // An accepted step after repair moves the parameters again.
        model.rnn.parameters[1].value[flat: 0] = 0
        #expect(trainer.trainStep { _, _ in true }.applied)
        #expect(model.parameters.map(\.value) != values)
    }
}

struct MemoryEstimateTests {
    @Test("the training memory estimate counts parameters six times and grows linearly with batch and steps")
    func estimate() {
        let vocabulary = Vocabulary(symbols: (0..<65).map { Unicode.Scalar(UInt8(33 + $0)) })
        let c = CharRNNConfiguration(cell: .lstm, layers: 2, hiddenSize: 512, embeddingSize: 64, vocabulary: vocabulary)
        let bytes = c.trainingBytes(batch: 64, steps: 100)
        // medium-lstm: recur bench measured a peak resident size of 453-478 MiB for this shape.
        #expect(bytes > 400 * 1_048_576 && bytes < 560 * 1_048_576, "\(bytes / 1_048_576) MiB")
        let parameters = Double(c.tensorShapes.reduce(0) { $0 + $1.shape.reduce(1, *) })
        #expect(c.trainingBytes(batch: 1, steps: 1) > 24 * parameters)
        let d1 = c.trainingBytes(batch: 128, steps: 100) - bytes, d2 = c.trainingBytes(batch: 192, steps: 100) - c.trainingBytes(batch: 128, steps: 100)
        #expect(abs(d1 - d2) < 1e-6 * d1)
    }

    @Test("the shapes the estimate counts are the built model's named parameters, for every cell", arguments: CellKind.allCases)
    func shapesAreTheModels(cell: CellKind) {
        let vocabulary = Vocabulary(symbols: (0..<11).map { Unicode.Scalar(UInt8(65 + $0)) })
        let c = CharRNNConfiguration(cell: cell, layers: 3, hiddenSize: 7, embeddingSize: 5, vocabulary: vocabulary)
        var g = RandomGenerator(seed: 1)
        let model = c.makeModel(using: &g)
        #expect(c.tensorShapes.map(\.name) == model.namedParameters.map(\.name))
        #expect(c.tensorShapes.map(\.shape) == model.namedParameters.map(\.parameter.shape))
    }
}
