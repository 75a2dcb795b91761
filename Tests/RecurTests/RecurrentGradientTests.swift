import Testing
@testable import Recur
import _RecurTestSupport

/// Central-difference gradient checks of whole recurrent networks, in Double on the reference GEMM:
/// every parameter tensor, the input and the initial states, T >= 5, B = 3.
///
/// Loss: `L = sum(y * Ry) + sum(h_n * Rh) + sum(c_n * Rc)` with fixed random R, so that every output
/// and every final state carries gradient. Tolerance: relative error (max |analytic - numeric| over
/// the tensor's largest numeric gradient) below 1e-6; the errors seen are near 1e-9.
struct RecurrentGradientTests {
    static let tolerance = 1e-6

    struct Case: CustomStringConvertible, Sendable {
        var cell: CellKind
        var layers = 1
        var bidirectional = false
        var lengths: [Int]? = nil
        var dropout = 0.0
        var hidden = 4
        var description: String {
            "\(cell) L\(layers) H\(hidden)\(bidirectional ? " bidirectional" : "")\(lengths.map { " lengths \($0)" } ?? "")\(dropout > 0 ? " dropout \(dropout)" : "")"
        }
    }

    static let cases: [Case] = CellKind.allCases.flatMap { cell in
        [
            Case(cell: cell),
            Case(cell: cell, layers: 2),
            Case(cell: cell, bidirectional: true),
            Case(cell: cell, lengths: [6, 3, 1]),
            Case(cell: cell, layers: 2, bidirectional: true, lengths: [4, 6, 2]),
            Case(cell: cell, layers: 3, dropout: 0.3),
            // 13 hidden units: one full eight-lane block of the gate kernels and a five-lane tail.
            Case(cell: cell, bidirectional: true, lengths: [6, 4, 1], hidden: 13),
        ]
    }

    @Test("recurrent networks pass the central-difference gradient check", arguments: cases)
    func gradients(_ c: Case) {
        let reports = Self.gradientReports(c)
        let D = c.bidirectional ? 2 : 1
        #expect(reports.count == 4 * c.layers * D + 2 + (c.cell.hasCellState ? 1 : 0))
        for report in reports {
            #expect(report.relativeError < Self.tolerance, "\(c): \(report)")
            #expect(report.scale > 1e-6, "\(c): \(report.name) has no gradient to check")
        }
    }

    /// Deliberate mistakes in the production backward time loop (`RecurrentLayer.injectedFault`, debug
    /// builds only): the same check must catch each one, for every cell it applies to, in a
    /// bidirectional two-layer network with lengths.
    @Test("every deliberate mistake in the production backward time loop fails the network gradient check",
          arguments: InjectedBackwardFault.allCases, CellKind.allCases)
    func injectedFaultsFail(fault: InjectedBackwardFault, cell: CellKind) {
        let c = Case(cell: cell, layers: 2, bidirectional: true, lengths: [6, 4, 2], hidden: 5)
        let faulty = worst(Self.gradientReports(c, fault: fault).map(\.relativeError))
        #expect(!(faulty <= 100 * Self.tolerance), "\(fault) in \(c) went unnoticed (worst relative error \(faulty))")
        let clean = worst(Self.gradientReports(c).map(\.relativeError))
        #expect(clean < Self.tolerance, "\(c) without the fault: \(clean)")
    }

    /// The central-difference check of one case's network, with `fault` injected into every layer's
    /// backward time loop.
    static func gradientReports(_ c: Case, fault: InjectedBackwardFault? = nil) -> [GradientCheckReport] {
        let T = 6, B = 3, I = 3, H = c.hidden
        var g = RandomGenerator(seed: 2024)
        let net = RecurrentNetwork<Double>(cell: c.cell, inputSize: I, hiddenSize: H, layers: c.layers,
                                           bidirectional: c.bidirectional, dropout: c.dropout, using: &g)
        net.engine = .reference
        for layer in net.layers.joined() { layer.injectedFault = fault }
        let D = net.directionCount, S = net.stateCount
        let x = CheckedTensor(randomTensor([T, B, I], using: &g))
        let h0 = CheckedTensor(randomTensor([S, B, H], bound: 0.5, using: &g))
        let c0 = CheckedTensor(randomTensor([S, B, H], bound: 0.5, using: &g))
        let ry = randomTensor([T, B, D * H], using: &g)
        let rh = randomTensor([S, B, H], using: &g)
        let rc = randomTensor([S, B, H], using: &g)
        let dropoutStream = net.generator  // the same dropout masks in every forward pass

        func forward() -> (Tensor<Double>, RecurrentState<Double>) {
            net.generator = dropoutStream
            let state = RecurrentState(h: h0.tensor, c: c.cell.hasCellState ? c0.tensor : nil)
            return net.forward(x.tensor, initialState: state, lengths: c.lengths)
        }
        func loss() -> Double {
            let (y, state) = forward()
            return dot(y, ry) + dot(state.h, rh) + (state.c.map { dot($0, rc) } ?? 0)
        }

        net.zeroGradients()
        _ = forward()
        let (dx, dState) = net.backward(
            outputGradient: ry, finalStateGradient: RecurrentState(h: rh, c: c.cell.hasCellState ? rc : nil))
        var targets = net.namedParameters.map { GradientCheckTarget(name: $0.name, parameter: $0.parameter) }
        targets.append(x.target("input", analytic: dx))
        targets.append(h0.target("h0", analytic: dState.h))
        if let dc0 = dState.c { targets.append(c0.target("c0", analytic: dc0)) }

        return gradientCheck(targets: targets, loss: loss)
    }


    @Test("steps past a sequence's length neither change its state nor receive or pass on gradient")
    func lengthsFreezeState() {
        var g = RandomGenerator(seed: 5)
        for cell in CellKind.allCases {
            let net = RecurrentNetwork<Double>(cell: cell, inputSize: 2, hiddenSize: 3, bidirectional: true, using: &g)
            var x = randomTensor([5, 2, 2], using: &g)
            let (y, state) = net.forward(x, lengths: [5, 2])
            // Row 1 ends after step 1: its outputs past that are zero, and its final forward state is
            // the one at step 1 (the forward half of y at t = 1).
            for t in 2..<5 { for j in 0..<6 { #expect(y[t, 1, j] == 0) } }
            for j in 0..<3 { #expect(state.h[0, 1, j] == y[1, 1, j]) }
            // The reverse direction starts at the row's own last step: its output at t = 0 is its final state.
            for j in 0..<3 { #expect(state.h[1, 1, j] == y[0, 1, 3 + j]) }
            // Changing the input past the end changes nothing.
            for t in 2..<5 { for i in 0..<2 { x[t, 1, i] += 10 } }
            let (y2, state2) = net.forward(x, lengths: [5, 2])
            for t in 0..<5 { for j in 0..<6 { #expect(y2[t, 1, j] == y[t, 1, j]) } }
            #expect(state2.h[0, 1, 0] == state.h[0, 1, 0] && state2.h[1, 1, 0] == state.h[1, 1, 0])
            // Backward: the padded steps' inputs receive no gradient, and the output gradients given
            // there are ignored (a gradient of 1000 changes nothing).
            var dy = randomTensor([5, 2, 6], using: &g)
            let dState = RecurrentState(h: randomTensor([2, 2, 3], using: &g), c: cell.hasCellState ? randomTensor([2, 2, 3], using: &g) : nil)
            net.zeroGradients()
            _ = net.forward(x, lengths: [5, 2])
            let (dx, dInitial) = net.backward(outputGradient: dy, finalStateGradient: dState)
            let gradients = net.parameters.map(\.gradient)
            #expect((0..<2).contains { i in dx[1, 1, i] != 0 }, "\(cell): the last real step got no gradient")
            for t in 2..<5 { for i in 0..<2 { #expect(dx[t, 1, i] == 0, "\(cell): padded step \(t) got gradient \(dx[t, 1, i])") } }
            for t in 2..<5 { for j in 0..<6 { dy[t, 1, j] = 1000 } }
            net.zeroGradients()
            _ = net.forward(x, lengths: [5, 2])
            let (dx2, dInitial2) = net.backward(outputGradient: dy, finalStateGradient: dState)
            #expect(dx2 == dx && dInitial2 == dInitial, "\(cell): an output gradient at a padded step leaked")
            #expect(net.parameters.map(\.gradient) == gradients, "\(cell): an output gradient at a padded step reached the weights")
        }
    }
}
