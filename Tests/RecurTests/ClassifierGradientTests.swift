import Testing
import Recur
import _RecurTestSupport

/// Central-difference gradient checks of many-to-one models: pooling over time with lengths, and a
/// whole sequence classifier (bidirectional, 2 layers, variable lengths), in Double on the reference GEMM.
struct ClassifierGradientTests {
    static let tolerance = 1e-6

    @Test("pooling over the real steps: last, mean and max, one and two directions",
          arguments: PoolingKind.allCases, [1, 2])
    func pooling(kind: PoolingKind, directions: Int) {
        let (T, B, F) = (5, 4, 6)
        let lengths = [5, 2, 1, 4]
        var g = RandomGenerator(seed: 31)
        let pooling = SequencePooling<Double>(kind, directions: directions)
        let x = CheckedTensor(randomTensor([T, B, F], using: &g))
        let r = randomTensor([B, F], using: &g)
        _ = pooling.forward(x.tensor, lengths: lengths)
        let dx = pooling.backward(r)
        let reports = gradientCheck(targets: [x.target("input", analytic: dx)]) {
            dot(pooling.forward(x.tensor, lengths: lengths), r)
        }
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(kind) D\(directions): \(report)")
            #expect(report.scale > 1e-6)
        }
        // Padded steps get no gradient, and what they hold changes nothing.
        for (b, n) in lengths.enumerated() {
            for t in n..<T { for j in 0..<F { #expect(dx[t, b, j] == 0, "\(kind): padded step \(t) of row \(b)") } }
        }
        var noisy = x.tensor
        for (b, n) in lengths.enumerated() { for t in n..<T { for j in 0..<F { noisy[t, b, j] = 100 } } }
        #expect(pooling.forward(noisy, lengths: lengths) == pooling.forward(x.tensor, lengths: lengths))
    }

    @Test("pooling values: last reads each direction's final step, mean and max the real steps only")
    func poolingValues() {
        // T 3, B 1, F 2 (directions 2): forward feature 0, reverse feature 1; length 2.
        let x = Tensor<Double>(shape: [3, 1, 2], scalars: [1, 10, 3, 20, 99, 99])
        #expect(SequencePooling<Double>(.last, directions: 2).forward(x, lengths: [2]).scalars == [3, 10])
        #expect(SequencePooling<Double>(.last, directions: 1).forward(x, lengths: [2]).scalars == [3, 20])
        #expect(SequencePooling<Double>(.mean).forward(x, lengths: [2]).scalars == [2, 15])
        #expect(SequencePooling<Double>(.max).forward(x, lengths: [2]).scalars == [3, 20])
    }

    struct Case: CustomStringConvertible, Sendable {
        var tokens: Bool
        var cell: CellKind
        var pooling: PoolingKind
        var description: String { "\(cell) \(pooling) \(tokens ? "tokens" : "features")" }
    }

    static let cases: [Case] = CellKind.allCases.flatMap { cell in
        PoolingKind.allCases.flatMap { pooling in [false, true].map { Case(tokens: $0, cell: cell, pooling: pooling) } }
    }

    @Test("a whole classifier: bidirectional, 2 layers, variable lengths, cross-entropy", arguments: cases)
    func classifier(_ c: Case) {
        let (T, B, F, V, C) = (5, 4, 3, 7, 3)
        let lengths = [5, 3, 1, 4]
        var g = RandomGenerator(seed: 32)
        let configuration = SequenceClassifierConfiguration(
            input: c.tokens ? .tokens(vocabularySize: V, embeddingSize: F) : .features(F), cell: c.cell, layers: 2,
            hiddenSize: 4, bidirectional: true, pooling: c.pooling, labels: (0..<C).map(String.init))
        let model: SequenceClassifier<Double> = configuration.makeModel(using: &g)
        model.rnn.engine = .reference
        model.head.engine = .reference
        let ids = (0..<(T * B)).map { _ in g.integer(below: V) }
        let x = CheckedTensor(randomTensor([T, B, F], using: &g))
        let targets = [0, 2, 1, 2]
        func logits() -> Tensor<Double> {
            c.tokens ? model.forward(tokens: ids, steps: T, batch: B, lengths: lengths)
                : model.forward(features: x.tensor, lengths: lengths)
        }
        model.zeroGradients()
        let (_, dLogits) = SoftmaxCrossEntropy.compute(logits: logits(), targets: targets)
        let dx = model.backward(logitsGradient: dLogits)
        var targetsToCheck = model.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
        if let dx { targetsToCheck.append(x.target("input", analytic: dx)) }
        #expect((dx == nil) == c.tokens)
        let reports = gradientCheck(targets: targetsToCheck) {
            SoftmaxCrossEntropy.compute(logits: logits(), targets: targets).loss
        }
        #expect(reports.count == 16 + 2 + 1)
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(c): \(report)")
            #expect(report.scale > 1e-9, "\(c): \(report.name) has no gradient to check")
        }
    }
}

extension ClassifierGradientTests {
    @Test("a sequence's logits in a padded batch equal its logits alone (Float, fast engine, every cell and pooling)",
          arguments: CellKind.allCases, PoolingKind.allCases)
    func paddedBatchEqualsAlone(cell: CellKind, pooling: PoolingKind) {
        let (T, F, C) = (7, 3, 4)
        let lengths = [7, 3, 1, 5]
        var g = RandomGenerator(seed: 33)
        let configuration = SequenceClassifierConfiguration(
            input: .features(F), cell: cell, layers: 2, hiddenSize: 12, bidirectional: true, pooling: pooling, labels: (0..<C).map(String.init))
        let model: SequenceClassifier<Float> = configuration.makeModel(using: &g)
        model.isTraining = false
        var batch = Initializer.uniform(shape: [T, lengths.count, F], bound: Float(1), using: &g)
        // What the padding holds must not matter either.
        for (b, n) in lengths.enumerated() { for t in n..<T { for i in 0..<F { batch[t, b, i] = 1e6 } } }
        let together = model.forward(features: batch, lengths: lengths)
        for (b, n) in lengths.enumerated() {
            var alone = Tensor<Float>(shape: [n, 1, F])
            for t in 0..<n { for i in 0..<F { alone[t, 0, i] = batch[t, b, i] } }
            let single = model.forward(features: alone, lengths: [n])
            let row = Tensor<Float>(shape: [1, C], scalars: Array(together.scalars[(b * C)..<((b + 1) * C)]))
            let close = closeness(row, single, absolute: 1e-6, relative: 1e-5)
            #expect(close.passes, "\(cell) \(pooling) row \(b) (length \(n)): \(close)")
        }
    }
}
