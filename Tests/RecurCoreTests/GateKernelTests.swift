import Testing
import RecurCore
import _RecurTestSupport

/// Step-level gradient checks of the fused gate kernels (in Double), and proof that the check has
/// teeth: deliberately broken copies of the backward formulas must fail it.
///
/// Each step is checked on the loss `L = sum(h' * Rh) + sum(c' * Rc)` with random weights R, so
/// dL/dh' = Rh and dL/dc' = Rc; one of the three batch rows is inactive (its sequence has ended).
struct GateKernelTests {
    static let tolerance = 1e-7
    static let batch = 3, hidden = 4
    static let active = [true, false, true]

    /// A mutable Double array shared by the loss closure and the gradient-check target.
    final class Values {
        var x: [Double]
        init(_ count: Int, _ generator: inout RandomGenerator, bound: Double = 2) {
            x = (0..<count).map { _ in generator.uniform(in: -bound, bound) }
        }
        func target(_ name: String, analytic: [Double]) -> GradientCheckTarget {
            GradientCheckTarget(name: name, count: x.count, read: { self.x[$0] }, write: { self.x[$0] = $1 }, analytic: analytic)
        }
    }

    // MARK: LSTM

    typealias LSTMBackward = (
        _ gates: UnsafePointer<Double>, _ cPrev: UnsafePointer<Double>, _ tanhC: UnsafePointer<Double>,
        _ dh: UnsafePointer<Double>, _ dc: UnsafeMutablePointer<Double>,
        _ dGates: UnsafeMutablePointer<Double>, _ dhPrevDirect: UnsafeMutablePointer<Double>
    ) -> Void

    /// The worst relative error of the LSTM step with the given backward formula.
    static func lstmStepError(backward: LSTMBackward) -> Double {
        let B = batch, H = hidden
        var g = RandomGenerator(seed: 11)
        let pre = Values(B * 4 * H, &g), cPrev = Values(B * H, &g), hPrev = Values(B * H, &g)
        let rh = Values(B * H, &g), rc = Values(B * H, &g)
        func run() -> (gates: [Double], c: [Double], h: [Double], tanhC: [Double]) {
            var gates = pre.x, c = [Double](repeating: 0, count: B * H), h = c, tanhC = c
            LSTMGates.forward(gates: &gates, cPrev: cPrev.x, hPrev: hPrev.x, c: &c, h: &h, tanhC: &tanhC,
                              batch: B, hidden: H, active: active)
            return (gates, c, h, tanhC)
        }
        func loss() -> Double {
            let r = run()
            return zip(r.h, rh.x).reduce(0) { $0 + $1.0 * $1.1 } + zip(r.c, rc.x).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let r = run()
        var dc = rc.x, dGates = [Double](repeating: 0, count: B * 4 * H), dhPrev = [Double](repeating: 0, count: B * H)
        backward(r.gates, cPrev.x, r.tanhC, rh.x, &dc, &dGates, &dhPrev)
        let reports = gradientCheck(targets: [
            pre.target("preactivation", analytic: dGates),
            cPrev.target("cPrev", analytic: dc),
            hPrev.target("hPrev", analytic: dhPrev),
        ], loss: loss)
        return worst(reports.map(\.relativeError))
    }

    @Test("LSTM gate kernels pass a step-level gradient check")
    func lstmStep() {
        let error = Self.lstmStepError { gates, cPrev, tanhC, dh, dc, dGates, dhPrev in
            LSTMGates.backward(gates: gates, cPrev: cPrev, tanhC: tanhC, dh: dh, dc: dc, dGates: dGates,
                               dhPrevDirect: dhPrev, batch: Self.batch, hidden: Self.hidden, active: Self.active)
        }
        #expect(error < Self.tolerance)
    }

    /// A copy of `LSTMGates.backward` with one deliberate mistake, chosen by `mutation`.
    static func brokenLSTMBackward(mutation: Int) -> LSTMBackward {
        return { gates, cPrev, tanhC, dh, dc, dGates, dhPrevDirect in
            let H = hidden
            for b in 0..<batch {
                let row = gates + b * 4 * H, dRow = dGates + b * 4 * H, s = b * H
                if !active[b] {
                    for j in 0..<4 * H { dRow[j] = 0 }
                    for j in 0..<H { dhPrevDirect[s + j] = mutation == 6 ? 0 : dh[s + j] }
                    continue
                }
                for j in 0..<H {
                    let i = row[j], f = row[H + j], g = row[2 * H + j], o = row[3 * H + j]
                    let tc = tanhC[s + j], dhj = dh[s + j]
                    let carried = mutation == 0 ? 0 : dc[s + j]                        // 0: drops the carried dc
                    let throughTanh = mutation == 1 ? 1 : (1 - tc * tc)                // 1: forgets tanh'
                    let dcNew = carried + dhj * o * throughTanh
                    dRow[j] = dcNew * g * i * (1 - i)
                    dRow[H + j] = (mutation == 2 ? -1 : 1) * dcNew * cPrev[s + j] * f * (1 - f)  // 2: sign
                    dRow[2 * H + j] = dcNew * (mutation == 3 ? f : i) * (1 - g * g)    // 3: wrong gate
                    dRow[3 * H + j] = dhj * tc * (mutation == 4 ? 1 : o * (1 - o))     // 4: forgets sigmoid'
                    dc[s + j] = mutation == 5 ? dcNew : dcNew * f                      // 5: forgets f
                    dhPrevDirect[s + j] = 0
                }
            }
        }
    }

    @Test("the copy of the LSTM backward formulas, unbroken (mutation -1), passes the check, so each mutant fails for its mistake alone")
    func unbrokenLSTMCopyPasses() {
        let error = Self.lstmStepError(backward: Self.brokenLSTMBackward(mutation: -1))
        #expect(error < Self.tolerance, "the unbroken copy fails: \(error)")
    }

    @Test("every deliberately broken LSTM backward formula fails the check", arguments: 0...6)
    func brokenLSTMFails(mutation: Int) {
        let error = Self.lstmStepError(backward: Self.brokenLSTMBackward(mutation: mutation))
        #expect(!(error <= 100 * Self.tolerance), "mutation \(mutation) went unnoticed (error \(error))")
    }

    // MARK: GRU

    typealias GRUBackward = (
        _ cache: UnsafePointer<Double>, _ hPrev: UnsafePointer<Double>, _ dh: UnsafePointer<Double>,
        _ dx: UnsafeMutablePointer<Double>, _ dhg: UnsafeMutablePointer<Double>, _ dhPrev: UnsafeMutablePointer<Double>
    ) -> Void

    static func gruStepError(backward: GRUBackward) -> Double {
        let B = batch, H = hidden
        var g = RandomGenerator(seed: 12)
        let xg = Values(B * 3 * H, &g), hg = Values(B * 3 * H, &g), hPrev = Values(B * H, &g), rh = Values(B * H, &g)
        func run() -> (h: [Double], cache: [Double]) {
            var h = [Double](repeating: 0, count: B * H), cache = [Double](repeating: 0, count: B * 4 * H)
            GRUGates.forward(xGates: xg.x, hGates: hg.x, hPrev: hPrev.x, h: &h, cache: &cache,
                             batch: B, hidden: H, active: active)
            return (h, cache)
        }
        func loss() -> Double { zip(run().h, rh.x).reduce(0) { $0 + $1.0 * $1.1 } }
        let r = run()
        var dx = [Double](repeating: 0, count: B * 3 * H), dhg = dx, dhPrev = [Double](repeating: 0, count: B * H)
        backward(r.cache, hPrev.x, rh.x, &dx, &dhg, &dhPrev)
        let reports = gradientCheck(targets: [
            xg.target("xGates", analytic: dx), hg.target("hGates", analytic: dhg), hPrev.target("hPrev", analytic: dhPrev),
        ], loss: loss)
        return worst(reports.map(\.relativeError))
    }

    @Test("GRU gate kernels pass a step-level gradient check")
    func gruStep() {
        let error = Self.gruStepError { cache, hPrev, dh, dx, dhg, dhPrev in
            GRUGates.backward(cache: cache, hPrev: hPrev, dh: dh, dxGates: dx, dhGates: dhg, dhPrevDirect: dhPrev,
                              batch: Self.batch, hidden: Self.hidden, active: Self.active)
        }
        #expect(error < Self.tolerance)
    }

    /// A copy of `GRUGates.backward` with one deliberate mistake.
    static func brokenGRUBackward(mutation: Int) -> GRUBackward {
        return { cache, hPrev, dh, dxRowAll, dhRowAll, dhPrevDirect in
            let H = hidden
            for b in 0..<batch {
                let cRow = cache + b * 4 * H, dxRow = dxRowAll + b * 3 * H, dhRow = dhRowAll + b * 3 * H, s = b * H
                if !active[b] {
                    for j in 0..<3 * H { dxRow[j] = 0; dhRow[j] = 0 }
                    for j in 0..<H { dhPrevDirect[s + j] = dh[s + j] }
                    continue
                }
                for j in 0..<H {
                    let r = cRow[j], z = cRow[H + j], n = cRow[2 * H + j], hn = cRow[3 * H + j], dhj = dh[s + j]
                    let dnPre = dhj * (mutation == 0 ? z : 1 - z) * (1 - n * n)             // 0: z for 1 - z
                    let dzPre = dhj * (mutation == 1 ? n - hPrev[s + j] : hPrev[s + j] - n) * z * (1 - z)  // 1: sign
                    let drPre = dnPre * hn * r * (1 - r)
                    dxRow[j] = drPre; dxRow[H + j] = dzPre; dxRow[2 * H + j] = dnPre
                    dhRow[j] = drPre; dhRow[H + j] = dzPre
                    dhRow[2 * H + j] = mutation == 2 ? dnPre : dnPre * r                  // 2: forgets r
                    dhPrevDirect[s + j] = mutation == 3 ? 0 : dhj * z                     // 3: drops z * h
                }
            }
        }
    }

    @Test("the copy of the GRU backward formulas, unbroken (mutation -1), passes the check")
    func unbrokenGRUCopyPasses() {
        let error = Self.gruStepError(backward: Self.brokenGRUBackward(mutation: -1))
        #expect(error < Self.tolerance, "the unbroken copy fails: \(error)")
    }

    @Test("every deliberately broken GRU backward formula fails the check", arguments: 0...3)
    func brokenGRUFails(mutation: Int) {
        let error = Self.gruStepError(backward: Self.brokenGRUBackward(mutation: mutation))
        #expect(!(error <= 100 * Self.tolerance), "mutation \(mutation) went unnoticed (error \(error))")
    }

    // MARK: RNN

    @Test("RNN step kernels pass a step-level gradient check", arguments: [Activation.tanh, .relu])
    func rnnStep(activation: Activation) {
        let B = Self.batch, H = Self.hidden
        var g = RandomGenerator(seed: 13)
        let pre = Values(B * H, &g), hPrev = Values(B * H, &g), rh = Values(B * H, &g)
        func run() -> [Double] {
            var h = [Double](repeating: 0, count: B * H)
            RNNGates.forward(preactivation: pre.x, hPrev: hPrev.x, h: &h, activation: activation,
                             batch: B, hidden: H, active: Self.active)
            return h
        }
        let h = run()
        var dPre = [Double](repeating: 0, count: B * H), dhPrev = dPre
        RNNGates.backward(h: h, dh: rh.x, dPreactivation: &dPre, dhPrevDirect: &dhPrev, activation: activation,
                          batch: B, hidden: H, active: Self.active)
        let reports = gradientCheck(targets: [pre.target("preactivation", analytic: dPre), hPrev.target("hPrev", analytic: dhPrev)]) {
            zip(run(), rh.x).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for report in reports { #expect(report.relativeError < Self.tolerance, "\(report)") }
    }
}

/// The Float gate kernels (C, in the run-time instruction set) against the Double kernels, in every
/// instruction set this CPU supports: forward and backward, an inactive row, a hidden size with a tail.
struct FloatGateKernelTests {
    @Test("the Float LSTM step, forward and backward, in every supported instruction set equals the Double step within 2e-6",
          arguments: [5, 13, 32])
    func lstm(hidden H: Int) {
        let B = 4, rows = [true, false, true, true]
        var g = RandomGenerator(seed: UInt64(H))
        func random(_ n: Int, _ bound: Double = 3) -> [Double] { (0..<n).map { _ in g.uniform(in: -bound, bound) } }
        let a = random(B * 4 * H), cPrev = random(B * H), hPrev = random(B * H), dh = random(B * H), dcIn = random(B * H)
        // The Double reference.
        var gD = a, cD = [Double](repeating: 0, count: B * H), hD = cD, tD = cD
        LSTMGates.forward(gates: &gD, cPrev: cPrev, hPrev: hPrev, c: &cD, h: &hD, tanhC: &tD, batch: B, hidden: H, active: rows)
        var dcD = dcIn, dGD = [Double](repeating: 0, count: B * 4 * H), directD = [Double](repeating: 0, count: B * H)
        LSTMGates.backward(gates: gD, cPrev: cPrev, tanhC: tD, dh: dh, dc: &dcD, dGates: &dGD, dhPrevDirect: &directD,
                           batch: B, hidden: H, active: rows)
        eachInstructionSet { set in
            let f: ([Double]) -> [Float] = { $0.map(Float.init) }
            var gF = f(a), cF = [Float](repeating: .nan, count: B * H), hF = cF, tF = cF
            LSTMGates.forward(gates: &gF, cPrev: f(cPrev), hPrev: f(hPrev), c: &cF, h: &hF, tanhC: &tF, batch: B, hidden: H, active: rows)
            var dcF = f(dcIn), dGF = [Float](repeating: .nan, count: B * 4 * H), directF = [Float](repeating: .nan, count: B * H)
            LSTMGates.backward(gates: gF, cPrev: f(cPrev), tanhC: tF, dh: f(dh), dc: &dcF, dGates: &dGF, dhPrevDirect: &directF,
                               batch: B, hidden: H, active: rows)
            for (name, float, double) in [("gates", gF, gD), ("c", cF, cD), ("h", hF, hD), ("tanh c", tF, tD), ("dc", dcF, dcD),
                                          ("dGates", dGF, dGD), ("dh direct", directF, directD)] {
                #expect(scaledDifference(float, double) <= 2e-6, "\(set) H \(H): \(name) differs by \(largestDifference(float, double))")
            }
        }
    }

    @Test("the LSTM step with its input part apart (a table row per id, or the gate rows) and the recurrent part in hGates gives the bits of the summed pre-activation, in every instruction set and in Double",
          arguments: [5, 13, 32])
    func lstmSplitInput(hidden H: Int) {
        let B = 4, V = 6, rows = [true, false, true, true], ids = [3, 0, 5, 3]
        var g = RandomGenerator(seed: UInt64(100 + H))
        func random(_ n: Int, _ bound: Double = 3) -> [Double] { (0..<n).map { _ in g.uniform(in: -bound, bound) } }
        let tableD = random(V * 4 * H), hGatesD = random(B * 4 * H), biasD = random(4 * H, 1)
        let cPrevD = random(B * H), hPrevD = random(B * H)
        func check<S: RecurScalar>(_: S.Type, _ label: String) {
            let convert: ([Double]) -> [S] = { $0.map { S($0) } }
            let table = convert(tableD), hGates = convert(hGatesD), bias = convert(biasD), cPrev = convert(cPrevD), hPrev = convert(hPrevD)
            // The reference: the input part gathered and the recurrent part added beforehand (as S).
            var summed = [S](repeating: 0, count: B * 4 * H), gathered = summed
            for b in 0..<B {
                for j in 0..<(4 * H) {
                    gathered[b * 4 * H + j] = table[ids[b] * 4 * H + j]
                    summed[b * 4 * H + j] = table[ids[b] * 4 * H + j] + hGates[b * 4 * H + j]
                }
            }
            var cR = [S](repeating: 0, count: B * H), hR = cR, tR = cR
            LSTMGates.forward(gates: &summed, bias: bias, cPrev: cPrev, hPrev: hPrev, c: &cR, h: &hR, tanhC: &tR,
                              batch: B, hidden: H, active: rows)
            let expected = [("c", cR), ("h", hR), ("tanh c", tR)]
            let activeGates = { (gates: [S]) in (0..<B).filter { rows[$0] }.flatMap { gates[($0 * 4 * H)..<(($0 + 1) * 4 * H)] } }
            // From the table by id (gates only written: NaN before), and from the gate rows plus hGates.
            for fromTable in [true, false] {
                var gates = fromTable ? [S](repeating: .nan, count: B * 4 * H) : gathered
                var c = [S](repeating: .nan, count: B * H), h = c, tanhC = c
                LSTMGates.forward(gates: &gates, table: fromTable ? table : nil, ids: fromTable ? ids : nil, hGates: hGates, bias: bias,
                                  cPrev: cPrev, hPrev: hPrev, c: &c, h: &h, tanhC: &tanhC, batch: B, hidden: H, active: rows)
                #expect(sameBits(activeGates(gates), activeGates(summed)), "\(label) H \(H) table \(fromTable): gates")
                for (name, value) in [("c", c), ("h", h), ("tanh c", tanhC)] {
                    #expect(sameBits(value, expected.first { $0.0 == name }!.1), "\(label) H \(H) table \(fromTable): \(name)")
                }
            }
        }
        check(Double.self, "Double")
        eachInstructionSet { set in check(Float.self, "\(set)") }
    }

    @Test("at inference (no tanh c, no GRU cache) the LSTM and GRU steps give the recording steps' c and h bit for bit and leave the gate rows as they were, in every instruction set and in Double",
          arguments: [5, 13, 32])
    func inferenceSteps(hidden H: Int) {
        let B = 4, V = 6, rows = [true, false, true, true], ids = [3, 0, 5, 3]
        var g = RandomGenerator(seed: 300 + UInt64(H))
        func random(_ n: Int, _ bound: Double = 3) -> [Double] { (0..<n).map { _ in g.uniform(in: -bound, bound) } }
        let preD = random(B * 4 * H), tableD = random(V * 4 * H), hGatesD = random(B * 4 * H), biasD = random(4 * H, 1)
        let xGatesD = random(B * 3 * H), hGates3D = random(B * 3 * H), bias3D = random(3 * H, 1)
        let cPrevD = random(B * H), hPrevD = random(B * H)
        func check<S: RecurScalar>(_: S.Type, _ label: String) {
            let convert: ([Double]) -> [S] = { $0.map { S($0) } }
            let table = convert(tableD), hGates = convert(hGatesD), bias = convert(biasD), cPrev = convert(cPrevD), hPrev = convert(hPrevD)
            let unset = [S](repeating: .nan, count: B * H)
            for fromTable in [false, true] {
                let before = fromTable ? [S](repeating: .nan, count: B * 4 * H) : convert(preD)
                var gatesR = before, cR = unset, hR = unset, tanhC = unset
                LSTMGates.forward(gates: &gatesR, table: fromTable ? table : nil, ids: fromTable ? ids : nil, hGates: hGates, bias: bias,
                                  cPrev: cPrev, hPrev: hPrev, c: &cR, h: &hR, tanhC: &tanhC, batch: B, hidden: H, active: rows)
                var gatesI = before, cI = unset, hI = unset
                LSTMGates.forward(gates: &gatesI, table: fromTable ? table : nil, ids: fromTable ? ids : nil, hGates: hGates, bias: bias,
                                  cPrev: cPrev, hPrev: hPrev, c: &cI, h: &hI, tanhC: nil, batch: B, hidden: H, active: rows)
                #expect(sameBits(cI, cR) && sameBits(hI, hR), "\(label) H \(H) table \(fromTable): LSTM state")
                #expect(sameBits(gatesI, before), "\(label) H \(H) table \(fromTable): LSTM gate rows written")
            }
            let xGates = convert(xGatesD), hGates3 = convert(hGates3D), bias3 = convert(bias3D)
            var hR = unset, cache = [S](repeating: .nan, count: B * 4 * H), hI = unset
            GRUGates.forward(xGates: xGates, xBias: bias3, hGates: hGates3, hPrev: hPrev, h: &hR, cache: &cache, batch: B, hidden: H, active: rows)
            GRUGates.forward(xGates: xGates, xBias: bias3, hGates: hGates3, hPrev: hPrev, h: &hI, cache: nil, batch: B, hidden: H, active: rows)
            #expect(sameBits(hI, hR), "\(label) H \(H): GRU state")
        }
        check(Double.self, "Double")
        eachInstructionSet { set in check(Float.self, "\(set)") }
    }

    @Test("the Float GRU step, forward and backward, in every supported instruction set equals the Double step within 2e-6",
          arguments: [5, 13, 32])
    func gru(hidden H: Int) {
        let B = 4, rows = [true, true, false, true]
        var g = RandomGenerator(seed: 100 + UInt64(H))
        func random(_ n: Int, _ bound: Double = 3) -> [Double] { (0..<n).map { _ in g.uniform(in: -bound, bound) } }
        let xGates = random(B * 3 * H), hGates = random(B * 3 * H), hPrev = random(B * H), dh = random(B * H)
        var hD = [Double](repeating: 0, count: B * H), cacheD = [Double](repeating: 0, count: B * 4 * H)
        GRUGates.forward(xGates: xGates, hGates: hGates, hPrev: hPrev, h: &hD, cache: &cacheD, batch: B, hidden: H, active: rows)
        var dxD = [Double](repeating: 0, count: B * 3 * H), dhGD = dxD, directD = [Double](repeating: 0, count: B * H)
        GRUGates.backward(cache: cacheD, hPrev: hPrev, dh: dh, dxGates: &dxD, dhGates: &dhGD, dhPrevDirect: &directD,
                          batch: B, hidden: H, active: rows)
        eachInstructionSet { set in
            let f: ([Double]) -> [Float] = { $0.map(Float.init) }
            var hF = [Float](repeating: .nan, count: B * H), cacheF = [Float](repeating: .nan, count: B * 4 * H)
            GRUGates.forward(xGates: f(xGates), hGates: f(hGates), hPrev: f(hPrev), h: &hF, cache: &cacheF, batch: B, hidden: H, active: rows)
            var dxF = [Float](repeating: .nan, count: B * 3 * H), dhGF = dxF, directF = [Float](repeating: .nan, count: B * H)
            GRUGates.backward(cache: cacheF, hPrev: f(hPrev), dh: f(dh), dxGates: &dxF, dhGates: &dhGF, dhPrevDirect: &directF,
                              batch: B, hidden: H, active: rows)
            for (name, float, double) in [("h", hF, hD), ("cache", cacheF, cacheD), ("dxGates", dxF, dxD), ("dhGates", dhGF, dhGD),
                                          ("dh direct", directF, directD)] {
                #expect(scaledDifference(float, double) <= 2e-6, "\(set) H \(H): \(name) differs by \(largestDifference(float, double))")
            }
        }
    }

    @Test("the Float RNN step (tanh, relu, sigmoid), forward and backward, in every supported instruction set equals the Double step",
          arguments: [5, 13, 32])
    func rnn(hidden H: Int) {
        let B = 3, rows = [true, false, true]
        var g = RandomGenerator(seed: 200 + UInt64(H))
        func random(_ n: Int, _ bound: Double = 3) -> [Double] { (0..<n).map { _ in g.uniform(in: -bound, bound) } }
        let pre = random(B * H), hPrev = random(B * H), dh = random(B * H)
        for activation in Activation.allCases {
            var hD = [Double](repeating: 0, count: B * H)
            RNNGates.forward(preactivation: pre, hPrev: hPrev, h: &hD, activation: activation, batch: B, hidden: H, active: rows)
            var dPreD = [Double](repeating: 0, count: B * H), directD = dPreD
            RNNGates.backward(h: hD, dh: dh, dPreactivation: &dPreD, dhPrevDirect: &directD, activation: activation, batch: B, hidden: H, active: rows)
            eachInstructionSet { set in
                let f: ([Double]) -> [Float] = { $0.map(Float.init) }
                var hF = [Float](repeating: .nan, count: B * H)
                RNNGates.forward(preactivation: f(pre), hPrev: f(hPrev), h: &hF, activation: activation, batch: B, hidden: H, active: rows)
                var dPreF = [Float](repeating: .nan, count: B * H), directF = dPreF
                RNNGates.backward(h: hF, dh: f(dh), dPreactivation: &dPreF, dhPrevDirect: &directF, activation: activation,
                                  batch: B, hidden: H, active: rows)
                for (name, float, double) in [("h", hF, hD), ("dPre", dPreF, dPreD), ("dh direct", directF, directD)] {
                    #expect(scaledDifference(float, double) <= 2e-6,
                            "\(set) \(activation) H \(H): \(name) differs by \(largestDifference(float, double))")
                }
            }
        }
        // relu passes NaN through in every set, as the Swift kernel does.
        eachInstructionSet { set in
            var out = [Float](repeating: 0, count: 9)
            RNNGates.forward(preactivation: [Float](repeating: .nan, count: 9), hPrev: [Float](repeating: 0, count: 9), h: &out,
                             activation: .relu, batch: 1, hidden: 9, active: nil)
            #expect(out.allSatisfy { $0.isNaN }, "\(set): \(out)")
        }
    }
}
