import RecurCore

/// RMSprop (torch.optim.RMSprop): a running mean of squared gradients scales each step.
///
///     g = grad + wd * p
///     v = alpha * v + (1 - alpha) * g^2
///     centered: a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a^2) + eps   else d = sqrt(v) + eps
///     momentum > 0: b = momentum * b + g / d;  p = p - lr * b             else p = p - lr * g / d
public final class RMSprop<Scalar: RecurScalar>: Optimizer<Scalar> {
    public let alpha: Double
    public let epsilon: Double
    public let momentum: Double
    public let centered: Bool
    public let weightDecay: Double

    public init(parameters: [Parameter<Scalar>], learningRate: Double = 0.01, alpha: Double = 0.99,
                epsilon: Double = 1e-8, momentum: Double = 0, centered: Bool = false, weightDecay: Double = 0) {
        precondition(alpha >= 0 && alpha < 1, "RMSprop: expected alpha in [0, 1), got \(alpha)")
        precondition(epsilon > 0, "RMSprop: expected epsilon > 0, got \(epsilon)")
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate,
                   slotNames: ["square_avg"] + (centered ? ["grad_avg"] : []) + (momentum > 0 ? ["momentum_buffer"] : []))
    }

    @_specialize(where Scalar == Float)
    override func update(index: Int, elements: Range<Int>, value p: UnsafeMutableBufferPointer<Scalar>,
                         gradient: UnsafeBufferPointer<Scalar>) {
        let lr = Scalar(learningRate), a = Scalar(alpha), eps = Scalar(epsilon), wd = Scalar(weightDecay)
        let mu = Scalar(momentum)
        let v = slot("square_avg", index)
        let mean = centered ? slot("grad_avg", index) : nil
        let buffer = momentum > 0 ? slot("momentum_buffer", index) : nil
        let o = elements.lowerBound
        if let value = floats(p, o), let g = floats(gradient, o), let vf = floats(v, o) {
            OptimizerKernels.rmsprop(value: value, gradient: g, square: vf, mean: mean.flatMap { floats($0, o) },
                                     buffer: buffer.flatMap { floats($0, o) }, count: elements.count, learningRate: Float(lr),
                                     alpha: Float(a), epsilon: Float(eps), weightDecay: Float(wd), momentum: Float(mu))
            return
        }
        for i in elements {
            let g = gradient[i] + wd * p[i]
            v[i] = a * v[i] + (1 - a) * g * g
            var variance = v[i]
            if let mean {
                mean[i] = a * mean[i] + (1 - a) * g
                variance -= mean[i] * mean[i]
            }
            let denominator = variance.squareRoot() + eps
            if let buffer {
                buffer[i] = mu * buffer[i] + g / denominator
                p[i] -= lr * buffer[i]
            } else {
                p[i] -= lr * g / denominator
            }
        }
    }
}
