import Foundation
import Testing
import Recur
import _RecurTestSupport

/// `recur gradient-flow`'s measurements: the adding problem's data, dL/dh_t against finite
/// differences, and the experiment's figures.
struct GradientFlowTests {
    @Test("the adding problem: two markers per sequence, one in each half, and the target is the sum of the marked values")
    func addingProblemData() {
        var generator = RandomGenerator(seed: 3)
        for T in [2, 3, 10, 31] {
            let (x, y): (Tensor<Double>, Tensor<Double>) = AddingProblem.batch(length: T, batch: 50, using: &generator)
            #expect(x.shape == [T, 50, 2] && y.shape == [50, 1])
            for b in 0..<50 {
                let marked = (0..<T).filter { x[$0, b, 1] == 1 }
                let unmarkedAreZero = (0..<T).allSatisfy { x[$0, b, 1] == 1 || x[$0, b, 1] == 0 }
                #expect(marked.count == 2 && unmarkedAreZero, "T \(T) row \(b): markers at \(marked)")
                guard marked.count == 2 else { continue }
                #expect(marked[0] < T / 2 && marked[1] >= T / 2, "T \(T): markers at \(marked)")
                #expect(abs(y[b, 0] - (x[marked[0], b, 0] + x[marked[1], b, 0])) <= 1e-15)
                #expect((0..<T).allSatisfy { x[$0, b, 0] >= 0 && x[$0, b, 0] < 1 })
            }
        }
    }

    /// The batch's mean squared error with h_t of row b, unit j moved by `delta`, through single-step cells.
    static func loss(_ model: GradientFlowModel<Double>, _ x: Tensor<Double>, _ y: Tensor<Double>,
                     moving t: Int, row b: Int, unit j: Int, by delta: Double) -> Double {
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
        let cell = RecurrentCell(cell: model.rnn.cell, weightIH: named["rnn.weight_ih_l0"]!, weightHH: named["rnn.weight_hh_l0"]!,
                                 biasIH: named["rnn.bias_ih_l0"]!, biasHH: named["rnn.bias_hh_l0"]!)
        let T = x.shape[0], B = x.shape[1]
        var state: RecurrentState<Double>? = nil
        for s in 0..<T {
            let input = Tensor<Double>(shape: [B, 2], scalars: Array(x.scalars[(s * B * 2)..<((s + 1) * B * 2)]))
            var next = cell.forward(input, state: state).state
            if s == t { next.h[b, j] += delta }
            state = next
        }
        let prediction = model.head.apply(state!.h)
        return MeanSquaredError.compute(prediction: prediction, target: y).loss
    }

    @Test("dL/dh_t at every step matches central differences (Double), and the cell path's loss is the network's",
          arguments: [CellKind.rnnTanh, .lstm, .gru])
    func hiddenGradientsMatchFiniteDifferences(cell: CellKind) {
        var generator = RandomGenerator(seed: 11)
        let model = GradientFlowModel<Double>(cell: cell, hiddenSize: 4, using: &generator)
        let (x, y): (Tensor<Double>, Tensor<Double>) = AddingProblem.batch(length: 7, batch: 3, using: &generator)
        let gradients = model.hiddenGradients(inputs: x, targets: y)
        #expect(gradients.count == 7)
        model.zeroGradients()
        let networkLoss = model.lossAndGradients(inputs: x, targets: y)
        #expect(abs(networkLoss - Self.loss(model, x, y, moving: 0, row: 0, unit: 0, by: 0)) <= 1e-12)
        var worst = 0.0, largest = 0.0
        let h = 1e-6
        for t in 0..<7 {
            for b in 0..<3 {
                for j in 0..<4 {
                    let numeric = (Self.loss(model, x, y, moving: t, row: b, unit: j, by: h) - Self.loss(model, x, y, moving: t, row: b, unit: j, by: -h)) / (2 * h)
                    worst = max(worst, abs(numeric - gradients[t][b, j]))
                    largest = max(largest, abs(numeric))
                }
            }
        }
        #expect(worst <= 1e-8 * max(1, largest), "\(cell): largest difference \(worst) (largest gradient \(largest))")
        #expect(largest > 1e-4, "\(cell): the check must see a gradient")
        // The norms are the rows' mean Euclidean norms of these gradients.
        let norms = model.hiddenGradientNorms(inputs: x, targets: y)
        let t = 3
        let expected = (0..<3).map { b in (0..<4).map { gradients[t][b, $0] * gradients[t][b, $0] }.reduce(0, +).squareRoot() }.reduce(0, +) / 3
        #expect(abs(norms[t] - expected) <= 1e-15)
    }

    @Test("the many-to-one model's parameter gradients match central differences (Double)", arguments: [CellKind.lstm, .gru])
    func parameterGradients(cell: CellKind) {
        var generator = RandomGenerator(seed: 2)
        let model = GradientFlowModel<Double>(cell: cell, hiddenSize: 3, using: &generator)
        let (x, y): (Tensor<Double>, Tensor<Double>) = AddingProblem.batch(length: 5, batch: 2, using: &generator)
        model.zeroGradients()
        _ = model.lossAndGradients(inputs: x, targets: y)
        var worst = 0.0
        for (_, parameter) in model.namedParameters {
            for i in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / 7)) {
                let original = parameter.value[flat: i]
                parameter.value[flat: i] = original + 1e-6
                let plus = MeanSquaredError.compute(prediction: model.predict(x), target: y).loss
                parameter.value[flat: i] = original - 1e-6
                let minus = MeanSquaredError.compute(prediction: model.predict(x), target: y).loss
                parameter.value[flat: i] = original
                worst = max(worst, abs((plus - minus) / 2e-6 - parameter.gradient[flat: i]))
            }
        }
        #expect(worst <= 1e-8, "\(cell): largest difference \(worst)")
    }

    @Test("the experiment: a short run learns the adding problem at length 6 (LSTM), and the vanilla RNN's gradient vanishes with distance at initialisation")
    func experimentFigures() {
        var settings = GradientFlowExperiment.Settings(cell: .lstm, length: 6)
        settings.hiddenSize = 16
        settings.steps = 400
        settings.batch = 32
        settings.learningRate = 1e-2
        settings.evaluationExamples = 500
        let lstm = GradientFlowExperiment(settings)
        #expect(lstm.initialNorms.count == 6 && lstm.trainedNorms.count == 6)
        #expect(lstm.meanSquaredError <= 0.02, "mse \(lstm.meanSquaredError)")
        #expect(lstm.accuracy >= 0.3, "accuracy \(lstm.accuracy)")
        #expect(lstm.losses.last!.loss < lstm.losses.first!.loss / 3, "losses \(lstm.losses.map(\.loss))")
        var rnn = GradientFlowExperiment.Settings(cell: .rnnTanh, length: 40)
        rnn.steps = 0
        let untrained = GradientFlowExperiment(rnn)
        let norms = untrained.initialNorms
        #expect(norms[0] < 1e-3 * norms[39], "the RNN's dL/dh_0 / dL/dh_39 at initialisation: \(norms[0] / norms[39])")
        #expect(untrained.losses.isEmpty && untrained.trainedNorms == untrained.initialNorms)
    }
}
