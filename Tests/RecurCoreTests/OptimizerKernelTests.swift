import Foundation
import Testing
import RecurCore
import _RecurTestSupport

/// The Float optimiser updates and softmax numerators in every instruction set this CPU supports,
/// against the same rules in Double, and independent of where a thread's share of the elements begins.
/// (The optimisers as a whole are checked against torch.optim by PyTorchGoldenTests.)
struct OptimizerKernelTests {
    /// One rule's state: the parameter, its gradient and up to three state buffers.
    struct State {
        var p, g, a, b, c: [Double]

        init(_ n: Int, _ generator: inout RandomGenerator) {
            func random(_ low: Double, _ high: Double) -> [Double] { (0..<n).map { _ in generator.uniform(in: low, high) } }
            p = random(-2, 2)
            g = random(-1, 1)
            a = random(-0.5, 0.5)   // first moment, momentum, running mean
            c = random(-0.5, 0.5)   // RMSprop's momentum
            // second moment, squared average, sum: at least the square of the running mean, as a centred
            // RMSprop's state always is
            b = zip(random(0, 0.5), a).map { $0 + $1 * $1 }
        }

        var floats: (p: [Float], g: [Float], a: [Float], b: [Float], c: [Float]) {
            (p.map(Float.init), g.map(Float.init), a.map(Float.init), b.map(Float.init), c.map(Float.init))
        }
    }

    /// The rules under test: a name, the Double reference on a `State`, and the kernel on Float buffers
    /// over `range`.
    typealias Kernel = (_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Float>,
                        _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ count: Int) -> Void
    static let rules: [(name: String, reference: (inout State) -> Void, kernel: Kernel)] = {
        let (lr, b1, b2, eps, t) = (0.01, 0.8, 0.99, 1e-8, 3.0)
        let stepSize = lr / (1 - pow(b1, t)), correction2 = (1 - pow(b2, t)).squareRoot()
        func adam(wd: Double, decoupled: Bool) -> (inout State) -> Void {
            { s in
                for i in s.p.indices {
                    if decoupled { s.p[i] *= 1 - lr * wd }
                    let g = s.g[i] + (decoupled ? 0 : wd) * s.p[i]
                    s.a[i] += (1 - b1) * (g - s.a[i])
                    s.b[i] = b2 * s.b[i] + (1 - b2) * g * g
                    s.p[i] -= stepSize * s.a[i] / (s.b[i].squareRoot() / correction2 + eps)
                }
            }
        }
        func adamKernel(wd: Double, decoupled: Bool) -> Kernel {
            { p, g, a, b, _, n in
                OptimizerKernels.adam(value: p, gradient: g, firstMoment: a, secondMoment: b, count: n, beta1: Float(b1), beta2: Float(b2),
                                      stepSize: Float(stepSize), correction2: Float(correction2), epsilon: Float(eps),
                                      l2: decoupled ? 0 : Float(wd), decay: Float(1 - lr * wd), decoupled: decoupled)
            }
        }
        func sgd(momentum mu: Double, first: Bool, nesterov: Bool) -> (inout State) -> Void {
            { s in
                for i in s.p.indices {
                    var g = s.g[i] + 0.01 * s.p[i]
                    if mu > 0 {
                        s.a[i] = first ? g : mu * s.a[i] + (1 - 0.1) * g
                        g = nesterov ? g + mu * s.a[i] : s.a[i]
                    }
                    s.p[i] -= 0.05 * g
                }
            }
        }
        func sgdKernel(momentum mu: Double, first: Bool, nesterov: Bool) -> Kernel {
            { p, g, a, _, _, n in
                OptimizerKernels.sgd(value: p, gradient: g, buffer: mu > 0 ? a : nil, count: n, learningRate: 0.05, weightDecay: 0.01,
                                     momentum: Float(mu), dampening: 0.1, first: first, nesterov: nesterov)
            }
        }
        func rmsprop(centered: Bool, momentum mu: Double) -> (inout State) -> Void {
            { s in
                for i in s.p.indices {
                    let g = s.g[i] + 0.1 * s.p[i]
                    s.b[i] = 0.9 * s.b[i] + (1 - 0.9) * g * g
                    var variance = s.b[i]
                    if centered {
                        s.a[i] = 0.9 * s.a[i] + (1 - 0.9) * g
                        variance -= s.a[i] * s.a[i]
                    }
                    let d = variance.squareRoot() + eps
                    if mu > 0 {
                        s.c[i] = mu * s.c[i] + g / d
                        s.p[i] -= lr * s.c[i]
                    } else {
                        s.p[i] -= lr * g / d
                    }
                }
            }
        }
        func rmspropKernel(centered: Bool, momentum mu: Double) -> Kernel {
            { p, g, a, b, c, n in
                OptimizerKernels.rmsprop(value: p, gradient: g, square: b, mean: centered ? a : nil, buffer: mu > 0 ? c : nil, count: n,
                                         learningRate: Float(lr), alpha: 0.9, epsilon: Float(eps), weightDecay: 0.1, momentum: Float(mu))
            }
        }
        return [
            ("adam", adam(wd: 0, decoupled: false), adamKernel(wd: 0, decoupled: false)),
            ("adam l2", adam(wd: 0.1, decoupled: false), adamKernel(wd: 0.1, decoupled: false)),
            ("adamw", adam(wd: 0.1, decoupled: true), adamKernel(wd: 0.1, decoupled: true)),
            ("sgd", sgd(momentum: 0, first: false, nesterov: false), sgdKernel(momentum: 0, first: false, nesterov: false)),
            ("sgd momentum, first step", sgd(momentum: 0.9, first: true, nesterov: false), sgdKernel(momentum: 0.9, first: true, nesterov: false)),
            ("sgd momentum", sgd(momentum: 0.9, first: false, nesterov: false), sgdKernel(momentum: 0.9, first: false, nesterov: false)),
            ("sgd nesterov", sgd(momentum: 0.9, first: false, nesterov: true), sgdKernel(momentum: 0.9, first: false, nesterov: true)),
            ("adagrad", { s in
                for i in s.p.indices {
                    let g = s.g[i] + 0.05 * s.p[i]
                    s.b[i] += g * g
                    s.p[i] -= 0.1 * g / (s.b[i].squareRoot() + 1e-10)
                }
            }, { p, g, _, b, _, n in
                OptimizerKernels.adagrad(value: p, gradient: g, sum: b, count: n, learningRate: 0.1, weightDecay: 0.05, epsilon: 1e-10)
            }),
            ("rmsprop", rmsprop(centered: false, momentum: 0), rmspropKernel(centered: false, momentum: 0)),
            ("rmsprop centred, momentum", rmsprop(centered: true, momentum: 0.5), rmspropKernel(centered: true, momentum: 0.5)),
        ]
    }()

    /// Runs `kernel` on the Float copy of `state` in the given shares of its elements.
    static func run(_ kernel: Kernel, on state: State, shares: [Range<Int>]) -> [[Float]] {
        var (p, g, a, b, c) = state.floats
        for share in shares {
            let o = share.lowerBound
            p.withUnsafeMutableBufferPointer { p in
                g.withUnsafeBufferPointer { g in
                    a.withUnsafeMutableBufferPointer { a in
                        b.withUnsafeMutableBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                kernel(p.baseAddress! + o, g.baseAddress! + o, a.baseAddress! + o, b.baseAddress! + o, c.baseAddress! + o,
                                       share.count)
                            }
                        }
                    }
                }
            }
        }
        return [p, a, b, c]
    }

    @Test("every optimiser rule in every supported instruction set equals the Double rule, and splitting the elements changes no bit",
          arguments: [1, 7, 37, 64])
    func updates(count n: Int) {
        var generator = RandomGenerator(seed: 7 + UInt64(n))
        let state = State(n, &generator)
        eachInstructionSet { set in
            for rule in Self.rules {
                var reference = state
                rule.reference(&reference)
                let whole = Self.run(rule.kernel, on: state, shares: [0..<n])
                let doubles = [reference.p, reference.a, reference.b, reference.c]
                for (k, name) in ["p", "state a", "state b", "state c"].enumerated() {
                    let (float, double) = (whole[k], doubles[k])
                    #expect(scaledDifference(float, double) <= 1e-6,
                            "\(set) \(rule.name) n \(n): \(name) differs by \(largestDifference(float, double))")
                }
                let split = n / 3
                let shared = Self.run(rule.kernel, on: state, shares: [0..<split, split..<n])
                #expect(shared.map { $0.map(\.bitPattern) } == whole.map { $0.map(\.bitPattern) }, "\(set) \(rule.name) n \(n): split at \(split)")
            }
        }
    }

    @Test("softmax numerators in every supported instruction set: e^(x - max) and their sum against Double, summed in eight lanes in order; NaN propagates",
          arguments: [1, 7, 37, 65, 1000])
    func softmax(count n: Int) {
        var generator = RandomGenerator(seed: 70 + UInt64(n))
        let x = (0..<n).map { _ in Float(generator.uniform(in: -30.0, 30.0)) }
        let top = x.max()!
        let expected = x.map { Foundation.exp(Double($0) - Double(top)) }
        eachInstructionSet { set in
            var out = [Float](repeating: .nan, count: n)
            let (maximum, sum) = softmaxNumerators(x, count: n, into: &out)
            // The sum's order, whatever the set: element j into lane j mod 8, then the lanes in turn.
            var lanes = [Double](repeating: 0, count: 8)
            for (j, e) in out.enumerated() { lanes[j % 8] += Double(e) }
            let ordered = lanes.reduce(0, +)
            #expect(sum.bitPattern == ordered.bitPattern, "\(set) n \(n): sum \(sum), in lane order \(ordered)")
            #expect(maximum == top, "\(set) n \(n)")
            #expect(scaledDifference(out, expected) <= 1e-6, "\(set) n \(n): differs by \(largestDifference(out, expected))")
            #expect(!(abs(sum - expected.reduce(0, +)) > 1e-6 * sum), "\(set) n \(n): sum \(sum)")
            var poisoned = x
            poisoned[n / 2] = .nan
            let (nanMaximum, nanSum) = softmaxNumerators(poisoned, count: n, into: &out)
            #expect(nanMaximum.isNaN && nanSum.isNaN, "\(set) n \(n): \(nanMaximum), \(nanSum)")
        }
    }
}
