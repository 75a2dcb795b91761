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

    override func update(index: Int, value p: UnsafeMutableBufferPointer<Scalar>, gradient: UnsafeBufferPointer<Scalar>) {
        let lr = Scalar(learningRate), a = Scalar(alpha), eps = Scalar(epsilon), wd = Scalar(weightDecay)
        let mu = Scalar(momentum)
        withSlot("square_avg", index) { v in
            for i in 0..<p.count {
                let g = gradient[i] + wd * p[i]
                v[i] = a * v[i] + (1 - a) * g * g
                var variance = v[i]
                if centered {
                    slots["grad_avg"]![index][i] = a * slots["grad_avg"]![index][i] + (1 - a) * g
                    let mean = slots["grad_avg"]![index][i]
                    variance -= mean * mean
                }
                let denominator = variance.squareRoot() + eps
                if momentum > 0 {
                    let b = mu * slots["momentum_buffer"]![index][i] + g / denominator
                    slots["momentum_buffer"]![index][i] = b
                    p[i] -= lr * b
                } else {
                    p[i] -= lr * g / denominator
                }
            }
        }
    }
}
