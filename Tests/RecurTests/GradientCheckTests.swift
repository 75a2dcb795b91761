import Testing
import Recur
import _RecurTestSupport

/// The checkers themselves: a NaN anywhere must make them fail, never pass.
struct GradientCheckTests {
    /// A target over `values` whose loss is `sum(values^2)` (gradient 2 * values).
    final class Square {
        var values: [Double]
        init(_ values: [Double]) { self.values = values }
        func target(analytic: [Double]) -> GradientCheckTarget {
            GradientCheckTarget(name: "x", count: values.count, read: { self.values[$0] }, write: { self.values[$0] = $1 },
                                analytic: analytic)
        }
        func loss() -> Double { values.reduce(0) { $0 + $1 * $1 } }
    }

    @Test("a right gradient passes; a wrong one, a NaN analytic element or a NaN loss fails",
          arguments: [(0, false), (1, true), (2, true), (3, true)])
    func checkerFailsOnNaN(variant: Int, shouldFail: Bool) {
        let square = Square([0.5, -1.5, 2, 0.25])
        var analytic = square.values.map { 2 * $0 }
        if variant == 1 { analytic[2] += 0.1 }
        if variant == 2 { analytic[1] = .nan }   // NaN after a good first element: must still be the worst
        let report = gradientCheck(targets: [square.target(analytic: analytic)]) {
            variant == 3 ? .nan : square.loss()
        }[0]
        #expect((report.relativeError <= 1e-6) == !shouldFail, "variant \(variant): \(report)")
    }

    @Test("the NaN-safe maximum and closeness never let a NaN through")
    func helpers() {
        #expect(worse(1, .nan).isNaN && worse(.nan, 1).isNaN && worse(1, 2) == 2)
        #expect(worst([0.1, .nan, 0.3]).isNaN && worst([0.1, 0.3]) == 0.3 && worst([Double]()) == 0)
        #expect(largestDifference([Float(1), 2, .nan], [Float(1), 2, 3]).isNaN)
        #expect(largestDifference([1.0, 2], [1.5, 2]) == 0.5)
        #expect(isWorse(.nan, than: 0) && !isWorse(1, than: .nan) && !isWorse(0.5, than: 1))
        let close = closeness(Tensor<Float>(shape: [3], scalars: [1, .nan, 3]), Tensor<Float>(shape: [3], scalars: [1, 2, 3]),
                              absolute: 1e-5, relative: 1e-4)
        #expect(!close.passes && close.worstIndex == 1, "\(close)")
        #expect(!closeness(Tensor<Float>(shape: [2], scalars: [1, 2]), Tensor<Float>(shape: [2], scalars: [1, .nan]),
                           absolute: 1e-5, relative: 1e-4).passes)
    }
}
