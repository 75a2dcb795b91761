import Testing
import Recur
import _RecurTestSupport

/// Central-difference gradient checks (Double, reference GEMM) of the non-recurrent layers and the
/// losses, with the same tolerance as the recurrent networks: relative error below 1e-6.
struct LayerGradientTests {
    static let tolerance = 1e-6

    static func expectPasses(_ reports: [GradientCheckReport], _ context: String) {
        for report in reports {
            #expect(report.relativeError < tolerance, "\(context): \(report)")
            #expect(report.scale > 1e-6, "\(context): \(report.name) has no gradient to check")
        }
    }

    @Test("Linear at every step: weight, bias and input", arguments: [true, false])
    func linear(bias: Bool) {
        var g = RandomGenerator(seed: 31)
        let layer = Linear<Double>(inputSize: 4, outputSize: 3, bias: bias, using: &g)
        layer.engine = .reference
        let x = CheckedTensor(randomTensor([5, 2, 4], using: &g))
        let r = randomTensor([5, 2, 3], using: &g)
        layer.zeroGradients()
        _ = layer.forward(x.tensor)
        let dx = layer.backward(r)
        var targets = layer.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
        targets.append(x.target("input", analytic: dx))
        let reports = gradientCheck(targets: targets) { dot(layer.forward(x.tensor), r) }
        #expect(reports.count == (bias ? 3 : 2))
        Self.expectPasses(reports, "Linear")
    }

    @Test("Embedding: the weight, with repeated ids accumulating")
    func embedding() {
        var g = RandomGenerator(seed: 32)
        let layer = Embedding<Double>(vocabularySize: 6, embeddingSize: 3, using: &g)
        let ids = [0, 3, 3, 5, 1, 3, 0, 2, 4, 5]  // [T = 5, B = 2]
        let r = randomTensor([5, 2, 3], using: &g)
        layer.zeroGradients()
        _ = layer.forward(ids, shape: [5, 2])
        layer.backward(r)
        let reports = gradientCheck(targets: [GradientCheckTarget(name: "weight", parameter: layer.weight)]) {
            dot(layer.forward(ids, shape: [5, 2]), r)
        }
        Self.expectPasses(reports, "Embedding")
        // Row 3 was used three times: its gradient is the sum of three rows of r.
        for j in 0..<3 {
            #expect(abs(layer.weight.gradient[3, j] - (r[0, 1, j] + r[1, 0, j] + r[2, 1, j])) < 1e-12)
        }
    }

    @Test("softmax cross-entropy: the logits, with and without a mask", arguments: [false, true])
    func crossEntropy(masked: Bool) {
        var g = RandomGenerator(seed: 33)
        let logits = CheckedTensor(randomTensor([4, 3, 5], bound: 3, using: &g))
        let targets = (0..<12).map { _ in g.integer(below: 5) }
        let mask: [Bool]? = masked ? (0..<12).map { $0 % 3 != 1 } : nil
        let (_, gradient) = SoftmaxCrossEntropy.compute(logits: logits.tensor, targets: targets, mask: mask)
        let reports = gradientCheck(targets: [logits.target("logits", analytic: gradient)]) {
            SoftmaxCrossEntropy.compute(logits: logits.tensor, targets: targets, mask: mask).loss
        }
        Self.expectPasses(reports, "cross-entropy")
        if let mask {
            for row in 0..<12 where !mask[row] {
                #expect((0..<5).allSatisfy { gradient[flat: row * 5 + $0] == 0 })
            }
        }
    }

    @Test("cross-entropy of known logits, and stability at huge logits")
    func crossEntropyValues() {
        // Uniform logits over 4 classes: loss log 4.
        let (uniform, _) = SoftmaxCrossEntropy.compute(logits: Tensor<Float>(shape: [1, 4]), targets: [2])
        #expect(abs(uniform - Double.log(4)) < 1e-7)
        let huge = Tensor<Float>(shape: [1, 3], scalars: [1e4, 0, -1e4])
        let (loss, gradient) = SoftmaxCrossEntropy.compute(logits: huge, targets: [1])
        #expect(abs(loss - 1e4) < 1e-2)
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
        let (none, _) = SoftmaxCrossEntropy.compute(logits: huge, targets: [1], mask: [false])
        #expect(none == 0)
    }

    @Test("mean squared error: the prediction, with and without a mask", arguments: [false, true])
    func meanSquaredError(masked: Bool) {
        var g = RandomGenerator(seed: 34)
        let prediction = CheckedTensor(randomTensor([6, 2, 3], using: &g))
        let target = randomTensor([6, 2, 3], using: &g)
        let mask: [Bool]? = masked ? (0..<12).map { $0 % 4 != 0 } : nil
        let (_, gradient) = MeanSquaredError.compute(prediction: prediction.tensor, target: target, mask: mask)
        let reports = gradientCheck(targets: [prediction.target("prediction", analytic: gradient)]) {
            MeanSquaredError.compute(prediction: prediction.tensor, target: target, mask: mask).loss
        }
        Self.expectPasses(reports, "MSE")
        let (value, _) = MeanSquaredError.compute(prediction: Tensor<Double>(shape: [2], scalars: [1, 3]),
                                                  target: Tensor<Double>(shape: [2], scalars: [0, 1]))
        #expect(value == 2.5)
    }

    @Test("a whole model: embedding -> 2-layer recurrent network -> linear -> cross-entropy, the embedding dense or read by id",
          arguments: [CellKind.lstm, .gru], [false, true])
    func model(cell: CellKind, byID: Bool) {
        var g = RandomGenerator(seed: 35)
        let embedding = Embedding<Double>(vocabularySize: 5, embeddingSize: 3, using: &g)
        let rnn = RecurrentNetwork<Double>(cell: cell, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: byID, using: &g)
        let head = Linear<Double>(inputSize: rnn.directionCount * 4, outputSize: 5, using: &g)
        rnn.engine = .reference
        head.engine = .reference
        let (T, B) = (5, 2)
        let ids = (0..<(T * B)).map { _ in g.integer(below: 5) }
        let targets = (0..<(T * B)).map { _ in g.integer(below: 5) }
        func hidden() -> Tensor<Double> {
            byID ? rnn.forward(tokens: ids, steps: T, batch: B, embedding: embedding).output
                 : rnn.forward(embedding.forward(ids, shape: [T, B])).output
        }
        func loss() -> Double {
            SoftmaxCrossEntropy.compute(logits: head.forward(hidden()), targets: targets).loss
        }
        for m in [embedding.parameters, rnn.parameters, head.parameters] { m.forEach { $0.zeroGradient() } }
        let (_, dLogits) = SoftmaxCrossEntropy.compute(logits: head.forward(hidden()), targets: targets)
        let (dInput, _) = rnn.backward(outputGradient: head.backward(dLogits))
        if byID {
            #expect(dInput.shape == [5, 3])
            embedding.accumulate(weightGradient: dInput)
        } else {
            embedding.backward(dInput)
        }
        let named = embedding.namedParameters.map { ("embedding." + $0.name, $0.parameter) }
            + rnn.namedParameters.map { ("rnn." + $0.name, $0.parameter) }
            + head.namedParameters.map { ("head." + $0.name, $0.parameter) }
        let reports = gradientCheck(targets: named.map { GradientCheckTarget(name: $0.0, parameter: $0.1) }, loss: loss)
        #expect(reports.count == 3 + 4 * 2 * rnn.directionCount)
        Self.expectPasses(reports, "\(cell) model, by id: \(byID)")
    }
}
