import Foundation
import Testing
import Recur
import _RecurTestSupport

/// The single-step cells: against PyTorch's nn.LSTMCell / nn.GRUCell / nn.RNNCell unrolled by hand,
/// by central differences, and against the whole-sequence layer with the same weights.
struct RecurrentCellTests {
    /// Unrolls `cell` over `x [T, B, I]` from `initial`; returns the per-step records.
    static func unroll<S: RecurScalar>(_ cell: RecurrentCell<S>, _ x: Tensor<S>, from initial: RecurrentState<S>?) -> [RecurrentCell<S>.Step] {
        let (T, B, I) = (x.shape[0], x.shape[1], x.shape[2])
        var steps: [RecurrentCell<S>.Step] = []
        var state = initial
        for t in 0..<T {
            let input = Tensor(shape: [B, I], scalars: Array(x.scalars[(t * B * I)..<((t + 1) * B * I)]))
            let step = cell.forward(input, state: state)
            steps.append(step)
            state = step.state
        }
        return steps
    }

    /// Back-propagates `L = sum_t sum(h_t * R_t) + sum(c_T * Rc)` through unrolled steps; returns dL/dx
    /// `[T, B, I]` and dL/d(initial state).
    static func backward<S: RecurScalar>(_ cell: RecurrentCell<S>, _ steps: [RecurrentCell<S>.Step], ry: Tensor<S>,
                                         rc: Tensor<S>?) -> (Tensor<S>, RecurrentState<S>) {
        let B = steps[0].input.shape[0], H = cell.hiddenSize, I = cell.inputSize
        var carried = RecurrentState<S>(h: Tensor(shape: [B, H]), c: rc)
        var dx = [S](repeating: 0, count: steps.count * B * I)
        for t in stride(from: steps.count - 1, through: 0, by: -1) {
            var dh = carried.h
            for i in 0..<(B * H) { dh[flat: i] += ry[flat: t * B * H + i] }
            let (dInput, dPrevious) = cell.backward(steps[t], stateGradient: RecurrentState(h: dh, c: carried.c))
            dx.replaceSubrange((t * B * I)..<((t + 1) * B * I), with: dInput.scalars)
            carried = dPrevious
        }
        return (Tensor(shape: [steps.count, B, I], scalars: dx), carried)
    }

    @Test("cells reproduce PyTorch's nn.*Cell unrolled over 4 steps: outputs and every gradient",
          arguments: ["rnn_tanh", "rnn_relu", "lstm", "gru"], GEMMEngine.float32)
    func golden(name: String, engine: GEMMEngine) throws {
        let url = try #require(Bundle.module.url(forResource: "cell_" + name, withExtension: "json", subdirectory: "Fixtures"))
        let f = try Fixture.load(url)
        let kind = try #require(CellKind(rawValue: f.string("cell")))
        var g = RandomGenerator(seed: 0)
        let cell = RecurrentCell<Float>(cell: kind, inputSize: f.int("input_size"), hiddenSize: f.int("hidden_size"), using: &g)
        cell.engine = engine
        #expect(cell.namedParameters.map(\.name) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
        for (parameterName, parameter) in cell.namedParameters { parameter.value = f.tensor(parameterName) }
        let initial = RecurrentState<Float>(h: f.tensor("h0"), c: kind.hasCellState ? f.tensor("c0") : nil)
        let steps = Self.unroll(cell, f.tensor("x"), from: initial)
        let output = Tensor<Float>(shape: [steps.count] + steps[0].state.h.shape, scalars: steps.flatMap(\.state.h.scalars))
        let (dx, dInitial) = Self.backward(cell, steps, ry: f.tensor("grad_output"), rc: kind.hasCellState ? f.tensor("grad_cn") : nil)
        var compared: [(String, Tensor<Float>)] = [("output", output), ("grad.x", dx), ("grad.h0", dInitial.h)]
        if kind.hasCellState { compared += [("cn", steps.last!.state.c!), ("grad.c0", dInitial.c!)] }
        compared += cell.namedParameters.map { ("grad." + $0.name, $0.parameter.gradient) }
        for (key, actual) in compared {
            let result = closeness(actual, f.tensor(key, as: Float.self), absolute: 1e-5, relative: 1e-4)
            #expect(result.passes, "\(name) \(engine) \(key): \(result)")
        }
    }

    @Test("an unrolled cell passes the central-difference gradient check (13 hidden units)", arguments: CellKind.allCases)
    func gradients(kind: CellKind) {
        let (T, B, I, H) = (4, 3, 3, 13)
        var g = RandomGenerator(seed: 61)
        let cell = RecurrentCell<Double>(cell: kind, inputSize: I, hiddenSize: H, using: &g)
        cell.engine = .reference
        let x = CheckedTensor(randomTensor([T, B, I], using: &g))
        let h0 = CheckedTensor(randomTensor([B, H], bound: 0.5, using: &g))
        let c0 = CheckedTensor(randomTensor([B, H], bound: 0.5, using: &g))
        let ry = randomTensor([T, B, H], using: &g), rc = randomTensor([B, H], using: &g)
        func initial() -> RecurrentState<Double> { RecurrentState(h: h0.tensor, c: kind.hasCellState ? c0.tensor : nil) }
        func loss() -> Double {
            let steps = Self.unroll(cell, x.tensor, from: initial())
            return zip(steps.indices, steps).reduce(0) { sum, pair in
                sum + dot(pair.1.state.h, Tensor(shape: [B, H], scalars: Array(ry.scalars[(pair.0 * B * H)..<((pair.0 + 1) * B * H)])))
            } + (kind.hasCellState ? dot(steps.last!.state.c!, rc) : 0)
        }
        cell.zeroGradients()
        let (dx, dInitial) = Self.backward(cell, Self.unroll(cell, x.tensor, from: initial()), ry: ry, rc: kind.hasCellState ? rc : nil)
        var targets = cell.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
        targets += [x.target("input", analytic: dx), h0.target("h0", analytic: dInitial.h)]
        if kind.hasCellState { targets.append(c0.target("c0", analytic: dInitial.c!)) }
        for report in gradientCheck(targets: targets, loss: loss) {
            #expect(report.relativeError < 1e-6, "\(kind): \(report)")
            #expect(report.scale > 1e-6, "\(kind): \(report.name) has no gradient")
        }
    }

    @Test("an unrolled cell equals the one-layer whole-sequence network with its weights (within 1e-6)",
          arguments: CellKind.allCases)
    func equalsNetwork(kind: CellKind) {
        let (T, B, I, H) = (5, 3, 4, 10)
        var g = RandomGenerator(seed: 62)
        let net = RecurrentNetwork<Float>(cell: kind, inputSize: I, hiddenSize: H, using: &g)
        let cell = RecurrentCell<Float>(cell: kind, inputSize: I, hiddenSize: H, using: &g)
        net.engine = .reference
        cell.engine = .reference
        for (target, source) in zip(cell.parameters, net.parameters) { target.value = source.value }
        let x = Initializer.uniform(shape: [T, B, I], bound: Float(1), using: &g)
        let (y, final) = net.forward(x)
        let steps = Self.unroll(cell, x, from: nil)
        let closeOutput = closeness(Tensor(shape: y.shape, scalars: steps.flatMap(\.state.h.scalars)), y, absolute: 1e-6, relative: 1e-6)
        #expect(closeOutput.passes, "\(kind): \(closeOutput)")
        #expect(closeness(steps.last!.state.h, final.h.reshaped([B, H]), absolute: 1e-6, relative: 1e-6).passes)
    }
}
