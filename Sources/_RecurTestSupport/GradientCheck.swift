import Recur
import RecurCore

/// One tensor under a gradient check: how to read and write its elements, and the analytic gradient.
public struct GradientCheckTarget {
    public var name: String
    public var count: Int
    public var read: (Int) -> Double
    public var write: (Int, Double) -> Void
    public var analytic: [Double]

    public init(name: String, count: Int, read: @escaping (Int) -> Double, write: @escaping (Int, Double) -> Void,
                analytic: [Double]) {
        precondition(analytic.count == count, "GradientCheckTarget \(name): expected \(count) analytic values, got \(analytic.count)")
        self.name = name
        self.count = count
        self.read = read
        self.write = write
        self.analytic = analytic
    }

    /// A parameter of a Double model, with its accumulated gradient as the analytic one.
    public init(name: String, parameter: Parameter<Double>) {
        self.init(name: name, count: parameter.value.count,
                  read: { parameter.value[flat: $0] }, write: { parameter.value[flat: $0] = $1 },
                  analytic: parameter.gradient.scalars)
    }
}

/// The outcome for one tensor. `relativeError` is max|analytic - numeric| / max(max|numeric|, 1e-12):
/// the worst element's error measured against the tensor's scale, so that elements whose true
/// gradient is near zero neither hide an error nor blow the measure up.
public struct GradientCheckReport: CustomStringConvertible {
    public var name: String
    public var relativeError: Double
    public var worstIndex: Int
    public var analytic: Double
    public var numeric: Double
    public var scale: Double

    public var description: String {
        "\(name): relative error \(relativeError) at [\(worstIndex)] (analytic \(analytic), numeric \(numeric), scale \(scale))"
    }
}

/// Central differences: for every element e of every target, (L(e + h) - L(e - h)) / 2h, compared
/// with the analytic gradient. `loss` must run the forward pass only (it must not touch gradients).
public func gradientCheck(
    targets: [GradientCheckTarget], step h: Double = 1e-6, loss: () -> Double
) -> [GradientCheckReport] {
    targets.map { target in
        var numeric = [Double](repeating: 0, count: target.count)
        for i in 0..<target.count {
            let original = target.read(i)
            target.write(i, original + h)
            let plus = loss()
            target.write(i, original - h)
            let minus = loss()
            target.write(i, original)
            numeric[i] = (plus - minus) / (2 * h)
        }
        let scale = worse(worst(numeric.map(abs)), 1e-12)
        var report = GradientCheckReport(name: target.name, relativeError: 0, worstIndex: 0,
                                         analytic: 0, numeric: 0, scale: scale)
        for i in 0..<target.count {
            let error = abs(target.analytic[i] - numeric[i]) / scale
            if isWorse(error, than: report.relativeError) || i == 0 {
                report.relativeError = error
                report.worstIndex = i
                report.analytic = target.analytic[i]
                report.numeric = numeric[i]
            }
        }
        return report
    }
}

/// A tensor of values drawn uniformly from [-bound, bound).
public func randomTensor(_ shape: [Int], bound: Double = 1, using generator: inout RandomGenerator) -> Tensor<Double> {
    Initializer.uniform(shape: shape, bound: bound, using: &generator)
}

/// The sum of element-wise products: the loss `sum(weights * x)` whose gradient wrt x is `weights`.
public func dot(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    precondition(a.shape == b.shape, "dot: expected equal shapes, got \(a.shape) and \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { $0 + $1.0 * $1.1 }
}

/// A Double tensor that the loss closure reads and the gradient check writes: an input or an initial
/// state under the check.
public final class CheckedTensor {
    public var tensor: Tensor<Double>
    public init(_ tensor: Tensor<Double>) { self.tensor = tensor }

    public func target(_ name: String, analytic: Tensor<Double>) -> GradientCheckTarget {
        GradientCheckTarget(name: name, count: tensor.count, read: { self.tensor[flat: $0] },
                            write: { self.tensor[flat: $0] = $1 }, analytic: analytic.scalars)
    }
}

/// Runs `body` in every instruction set this CPU supports (`InstructionSet.supported`) for the kernels
/// this thread calls (tests running beside it keep the process's set), then goes back to it: the
/// run-time kernels' variants, each checked against a reference. Kernels that `body` reaches through
/// other threads (a parallel region) run in the process's set.
public func eachInstructionSet(_ body: (InstructionSet) -> Void) {
    defer { InstructionSet.useOnThisThread(nil) }
    for set in InstructionSet.supported {
        precondition(InstructionSet.useOnThisThread(set), "eachInstructionSet: \(set) is listed as supported but cannot be chosen")
        body(set)
    }
}

/// The largest difference of a Float kernel's outputs from the Double reference's, relative to the
/// reference's largest magnitude (at least 1): what the Float gate-kernel tests bound.
public func scaledDifference(_ float: [Float], _ double: [Double]) -> Double {
    largestDifference(float, double) / Swift.max(1, double.map(abs).max() ?? 1)
}
