import Foundation
import Testing
import RecurCore
import _RecurTestSupport

/// The Float eight-lane exp and tanh against libm in Double, their edge cases, and the partial loads
/// and stores of a row's tail.
struct VectorMathTests {
    /// Applies an eight-lane function to every value, eight at a time.
    static func lanes(_ values: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        var out = values
        var i = 0
        while i < values.count {
            let n = min(8, values.count - i)
            values.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    store8(f(load8(v.baseAddress! + i, count: n)), o.baseAddress! + i, count: n)
                }
            }
            i += 8
        }
        return out
    }

    /// 2^20 evenly spaced points and their neighbours in [lower, upper].
    static func sweep(_ lower: Float, _ upper: Float) -> [Float] {
        let n = 1 << 20
        return (0...n).map { lower + (upper - lower) * Float($0) / Float(n) }
    }

    @Test("exp is within 2 ulp of the correctly rounded value over [-87, 88]")
    func expAccuracy() {
        let x = Self.sweep(-87, 88)
        let y = Self.lanes(x, Float.exp)
        var worst: Float = 0
        for (xi, yi) in zip(x, y) {
            let exact = Float(Foundation.exp(Double(xi)))
            worst = Float(worse(Double(worst), Double(abs(yi - exact) / exact.ulp)))
        }
        #expect(worst <= 2, "exp: worst error \(worst) ulp")
    }

    @Test("tanh is within 3e-7 absolute and 2e-6 relative over [-12, 12] and near zero")
    func tanhAccuracy() {
        let x = Self.sweep(-12, 12) + Self.sweep(-1e-3, 1e-3) + [1e-30, -1e-30, 0.625, -0.625, 0.62499997]
        let y = Self.lanes(x, Float.tanh)
        var worstAbsolute = 0.0, worstRelative = 0.0
        for (xi, yi) in zip(x, y) {
            let exact = Foundation.tanh(Double(xi))
            let error = abs(Double(yi) - exact)
            worstAbsolute = worse(worstAbsolute, error)
            if exact != 0 { worstRelative = worse(worstRelative, error / abs(exact)) }
        }
        #expect(worstAbsolute <= 3e-7, "tanh: worst absolute error \(worstAbsolute)")
        #expect(worstRelative <= 2e-6, "tanh: worst relative error \(worstRelative)")
    }

    @Test("NaN propagates and the ends saturate to exact values")
    func edges() {
        let x: [Float] = [.nan, -.infinity, .infinity, -200, 200, -87.5, 0, -0.0]
        let e = Self.lanes(x, Float.exp)
        #expect(e[0].isNaN)
        #expect(e[1] == 0 && e[3] == 0 && e[5] == 0)
        #expect(e[2] == .infinity && e[4] == .infinity)
        #expect(e[6] == 1 && e[7] == 1)
        let t = Self.lanes(x, Float.tanh)
        #expect(t[0].isNaN)
        #expect(t[1] == -1 && t[2] == 1 && t[3] == -1 && t[4] == 1)
        #expect(t[6] == 0 && t[7] == 0 && t[7].sign == .minus)
        let s = Self.lanes(x) { sigmoid($0) }
        #expect(s[0].isNaN)
        #expect(s[1] == 0 && s[2] == 1 && s[3] == 0 && s[4] == 1 && s[6] == 0.5)
        let r = Self.lanes(x) { relu($0) }
        #expect(r[0].isNaN && r[1] == 0 && r[2] == .infinity && r[3] == 0)
    }

    @Test("a partial load reads only its lanes and a partial store writes only its lanes", arguments: 1...8)
    func partialLanes(count: Int) {
        let source: [Float] = (0..<8).map { Float($0 + 1) }
        var target = [Float](repeating: -1, count: 8)
        let v = source.withUnsafeBufferPointer { load8($0.baseAddress!, count: count) }
        for l in 0..<8 { #expect(v[l] == (l < count ? source[l] : 0)) }
        target.withUnsafeMutableBufferPointer { store8(v * 2, $0.baseAddress!, count: count) }
        for l in 0..<8 { #expect(target[l] == (l < count ? 2 * source[l] : -1)) }
    }

    @Test("the Float LSTM step matches a Double libm reference, with a row tail (H = 13)")
    func lstmStepInFloat() {
        let B = 3, H = 13
        var g = RandomGenerator(seed: 5)
        let pre = (0..<(B * 4 * H)).map { _ in g.uniform(in: -4.0, 4.0) }
        let cPrev = (0..<(B * H)).map { _ in g.uniform(in: -2.0, 2.0) }
        var gates = pre.map(Float.init), c = [Float](repeating: 0, count: B * H), h = c, tanhC = c
        LSTMGates.forward(gates: &gates, cPrev: cPrev.map(Float.init), hPrev: [Float](repeating: 0, count: B * H),
                          c: &c, h: &h, tanhC: &tanhC, batch: B, hidden: H, active: nil)
        var worst = 0.0
        for b in 0..<B {
            for j in 0..<H {
                func a(_ k: Int) -> Double { pre[b * 4 * H + k * H + j] }
                let i = 1 / (1 + Foundation.exp(-a(0))), f = 1 / (1 + Foundation.exp(-a(1)))
                let gg = Foundation.tanh(a(2)), o = 1 / (1 + Foundation.exp(-a(3)))
                let cc = f * cPrev[b * H + j] + i * gg
                worst = worse(worst, worse(abs(Double(c[b * H + j]) - cc), abs(Double(h[b * H + j]) - o * Foundation.tanh(cc))))
            }
        }
        #expect(worst < 1e-6, "LSTM step in Float: worst difference \(worst)")
    }

    @Test("additive scores in every instruction set this CPU supports against Double tanh, with tails, strides and the hidden values",
          arguments: [1, 7, 8, 9, 15, 16, 17, 33, 256])
    func additiveScores(width: Int) {
        #expect(InstructionSet.supported.contains(InstructionSet.active))
        eachInstructionSet { set in
            #expect(InstructionSet.active == set)
            checkAdditiveScores(width: width, set: set)
        }
    }

    func checkAdditiveScores(width: Int, set: InstructionSet) {
        var g = RandomGenerator(seed: UInt64(width))
        let steps = 5, stride = width + 3
        let query = (0..<width).map { _ in g.uniform(in: Float(-2), Float(2)) }
        let keys = (0..<(steps * stride)).map { _ in g.uniform(in: Float(-2), Float(2)) }
        let v = (0..<width).map { _ in g.uniform(in: Float(-1), Float(1)) }
        var hidden = [Float](repeating: .nan, count: steps * width), scores = [Float](repeating: .nan, count: steps)
        RecurCore.additiveScores(query: query, keys: keys, stride: stride, v: v, width: width, steps: steps, hidden: &hidden, scores: &scores)
        var withoutHidden = [Float](repeating: .nan, count: steps)
        RecurCore.additiveScores(query: query, keys: keys, stride: stride, v: v, width: width, steps: steps, hidden: nil, scores: &withoutHidden)
        #expect(withoutHidden == scores, "\(set)")
        for j in 0..<steps {
            var expected = 0.0, scale = 0.0
            for i in 0..<width {
                let t = Foundation.tanh(Double(query[i]) + Double(keys[j * stride + i]))
                #expect(abs(Double(hidden[j * width + i]) - t) <= 1e-6, "\(set): hidden [\(j), \(i)]")
                expected += Double(v[i]) * t
                scale += abs(Double(v[i]) * t)
            }
            #expect(abs(Double(scores[j]) - expected) <= 1e-6 * Swift.max(scale, 1), "\(set): score \(j): \(scores[j]) vs \(expected)")
        }
    }

    @Test("the active instruction set is the widest this CPU supports; one it lacks cannot be chosen; RECUR_ISA's errors")
    func instructionSets() {
        let widest = InstructionSet.allCases.last { $0.isSupported }!
        #expect(InstructionSet.baseline.isSupported)
        if ProcessInfo.processInfo.environment["RECUR_ISA"] == nil { #expect(InstructionSet.active == widest) }
        for set in InstructionSet.allCases where !set.isSupported { #expect(!InstructionSet.use(set) && InstructionSet.active != set) }
        #expect(InstructionSet.EnvironmentError.unknown("sse9").description == "RECUR_ISA=sse9: not an instruction set; use baseline, avx2 or avx512")
        // A thread's own choice leaves the other threads' set alone.
        if ProcessInfo.processInfo.environment["RECUR_ISA"] == nil {
            #expect(InstructionSet.useOnThisThread(.baseline) && InstructionSet.active == .baseline)
            nonisolated(unsafe) var elsewhere: InstructionSet?
            let done = DispatchSemaphore(value: 0)
            Thread {
                elsewhere = InstructionSet.active
                done.signal()
            }.start()
            done.wait()
            #expect(elsewhere == widest)
            InstructionSet.useOnThisThread(nil)
            #expect(InstructionSet.active == widest)
        }
        print("instruction sets: \(InstructionSet.supported.map(\.rawValue)), active \(InstructionSet.active.rawValue)")
    }
}
