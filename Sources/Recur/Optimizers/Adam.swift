#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif
import RecurCore

/// Adam (torch.optim.Adam), and with `decoupledWeightDecay` AdamW (torch.optim.AdamW):
///
///     Adam:  g = grad + wd * p            AdamW: p = p * (1 - lr * wd);  g = grad
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g^2
///     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// With `epsilonOutsideCorrection` (Keras's and TensorFlow's Adam, the paper's "epsilon hat") the
/// epsilon is added to sqrt(v) before the bias correction instead:
///
///     p = p - (lr sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v) + eps)
///
/// which is PyTorch's form with eps / sqrt(1 - beta2^t) in place of eps; `OptimizerKind.kerasAdam`
/// uses it with Keras's eps 1e-7.
public class Adam<Scalar: RecurScalar>: Optimizer<Scalar> {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// AdamW's decoupled decay (applied to the weights) instead of Adam's L2 term (added to the gradient).
    public let decoupledWeightDecay: Bool
    /// Keras's placement of epsilon: added to sqrt(v), before the bias correction.
    public let epsilonOutsideCorrection: Bool

    public init(parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
                decoupledWeightDecay: Bool = false, epsilonOutsideCorrection: Bool = false) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                     "Adam: expected betas in [0, 1), got (\(beta1), \(beta2))")
        precondition(epsilon > 0, "Adam: expected epsilon > 0, got \(epsilon)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.epsilonOutsideCorrection = epsilonOutsideCorrection
        super.init(parameters: parameters, learningRate: learningRate, slotNames: ["exp_avg", "exp_avg_sq"])
    }

    @_specialize(where Scalar == Float)
    override func update(index: Int, elements: Range<Int>, value p: UnsafeMutableBufferPointer<Scalar>,
                         gradient: UnsafeBufferPointer<Scalar>) {
        let t = Double(stepCount)
        let correction2 = Scalar((1 - pow(beta2, t)).squareRoot())
        let b1 = Scalar(beta1), b2 = Scalar(beta2)
        let eps = Scalar(epsilonOutsideCorrection ? epsilon / (1 - pow(beta2, t)).squareRoot() : epsilon)
        let stepSize = Scalar(learningRate / (1 - pow(beta1, t)))
        let decay = Scalar(1 - learningRate * weightDecay)
        let l2 = decoupledWeightDecay ? 0 : Scalar(weightDecay)
        let m = slot("exp_avg", index), v = slot("exp_avg_sq", index)
        let o = elements.lowerBound
        if let value = floats(p, o), let g = floats(gradient, o), let mf = floats(m, o), let vf = floats(v, o) {
            OptimizerKernels.adam(value: value, gradient: g, firstMoment: mf, secondMoment: vf, count: elements.count,
                                  beta1: Float(beta1), beta2: Float(beta2), stepSize: Float(stepSize), correction2: Float(correction2),
                                  epsilon: Float(eps), l2: Float(l2), decay: Float(decay), decoupled: decoupledWeightDecay)
            return
        }
        for i in elements {
            if decoupledWeightDecay { p[i] *= decay }
            let g = gradient[i] + l2 * p[i]
            m[i] += (1 - b1) * (g - m[i])
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
        }
    }
}

/// AdamW: Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW.
public final class AdamW<Scalar: RecurScalar>: Adam<Scalar> {
    public init(parameters: [Parameter<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        super.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                   epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true)
    }
}
