import RecurCore

/// Adagrad (torch.optim.Adagrad): each coordinate's step shrinks with its summed squared gradients.
///
///     g = grad + wd * p
///     lr_t = lr / (1 + (t - 1) * lr_decay)
///     s = s + g^2;   p = p - lr_t * g / (sqrt(s) + eps)
public final class Adagrad<Scalar: RecurScalar>: Optimizer<Scalar> {
    public let learningRateDecay: Double
    public let weightDecay: Double
    public let epsilon: Double

    public init(parameters: [Parameter<Scalar>], learningRate: Double = 0.01, learningRateDecay: Double = 0,
                weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        precondition(epsilon > 0, "Adagrad: expected epsilon > 0, got \(epsilon)")
        precondition(initialAccumulatorValue >= 0, "Adagrad: expected a non-negative initial accumulator")
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.epsilon = epsilon
        super.init(parameters: parameters, learningRate: learningRate, slotNames: ["sum"])
        for index in parameters.indices {
            slot("sum", index).update(repeating: Scalar(initialAccumulatorValue))
        }
    }

    @_specialize(where Scalar == Float)
    override func update(index: Int, elements: Range<Int>, value p: UnsafeMutableBufferPointer<Scalar>,
                         gradient: UnsafeBufferPointer<Scalar>) {
        let clr = Scalar(learningRate / (1 + Double(stepCount - 1) * learningRateDecay))
        let wd = Scalar(weightDecay), eps = Scalar(epsilon)
        let s = slot("sum", index)
        let o = elements.lowerBound
        if let value = floats(p, o), let g = floats(gradient, o), let sf = floats(s, o) {
            OptimizerKernels.adagrad(value: value, gradient: g, sum: sf, count: elements.count, learningRate: Float(clr),
                                     weightDecay: Float(wd), epsilon: Float(eps))
            return
        }
        for i in elements {
            let g = gradient[i] + wd * p[i]
            s[i] += g * g
            p[i] -= clr * g / (s[i].squareRoot() + eps)
        }
    }
}
