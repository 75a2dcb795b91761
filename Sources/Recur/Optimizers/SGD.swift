import RecurCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay
/// (torch.optim.SGD):
///
///     g = grad + wd * p
///     b = g on the first step, else momentum * b + (1 - dampening) * g
///     g = g + momentum * b (Nesterov) or b (plain momentum)
///     p = p - lr * g
public final class SGD<Scalar: RecurScalar>: Optimizer<Scalar> {
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double

    public init(parameters: [Parameter<Scalar>], learningRate: Double, momentum: Double = 0,
                dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(momentum >= 0, "SGD: expected momentum >= 0, got \(momentum)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum requires momentum > 0 and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate, slotNames: momentum > 0 ? ["momentum_buffer"] : [])
    }

    @_specialize(where Scalar == Float)
    override func update(index: Int, elements: Range<Int>, value p: UnsafeMutableBufferPointer<Scalar>,
                         gradient: UnsafeBufferPointer<Scalar>) {
        let lr = Scalar(learningRate), wd = Scalar(weightDecay), mu = Scalar(momentum), damp = Scalar(dampening)
        let o = elements.lowerBound
        if let value = floats(p, o), let g = floats(gradient, o) {
            OptimizerKernels.sgd(value: value, gradient: g, buffer: momentum > 0 ? floats(slot("momentum_buffer", index), o) : nil,
                                 count: elements.count, learningRate: Float(lr), weightDecay: Float(wd), momentum: Float(mu),
                                 dampening: Float(damp), first: stepCount == 1, nesterov: nesterov)
            return
        }
        guard momentum > 0 else {
            for i in elements { p[i] -= lr * (gradient[i] + wd * p[i]) }
            return
        }
        let first = stepCount == 1
        let b = slot("momentum_buffer", index)
        for i in elements {
            let g = gradient[i] + wd * p[i]
            b[i] = first ? g : mu * b[i] + (1 - damp) * g
            p[i] -= lr * (nesterov ? g + mu * b[i] : b[i])
        }
    }
}
