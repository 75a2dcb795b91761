import _RecurVectorMath

/// The optimisers' element-wise updates on Float parameters, in the run-time instruction set
/// (`InstructionSet`): sixteen lanes with AVX-512, eight with AVX2 + FMA, eight portable ones
/// otherwise. Each rule is torch.optim's, in its order of operations (Recur's optimisers document
/// them); an element's result does not depend on where a thread's share begins (the tail runs through
/// the same vector code). The Double optimisers, for gradient checks, stay lane by lane in Swift.
public enum OptimizerKernels {
    /// Adam's (or, `decoupled`, AdamW's) update of `count` elements.
    @inlinable
    public static func adam(value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, firstMoment: UnsafeMutablePointer<Float>,
                            secondMoment: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float,
                            correction2: Float, epsilon: Float, l2: Float, decay: Float, decoupled: Bool) {
        recur_adam_update(value, gradient, firstMoment, secondMoment, count, beta1, beta2, stepSize, correction2, epsilon, l2, decay,
                          decoupled ? 1 : 0)
    }

    /// SGD's update; `buffer` (the momentum) nil without momentum.
    @inlinable
    public static func sgd(value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, buffer: UnsafeMutablePointer<Float>?,
                           count: Int, learningRate: Float, weightDecay: Float, momentum: Float, dampening: Float, first: Bool,
                           nesterov: Bool) {
        recur_sgd_update(value, gradient, buffer, count, learningRate, weightDecay, momentum, dampening, first ? 1 : 0, nesterov ? 1 : 0)
    }

    /// Adagrad's update, at the decayed learning rate of this step.
    @inlinable
    public static func adagrad(value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, sum: UnsafeMutablePointer<Float>,
                               count: Int, learningRate: Float, weightDecay: Float, epsilon: Float) {
        recur_adagrad_update(value, gradient, sum, count, learningRate, weightDecay, epsilon)
    }

    /// RMSprop's update; `mean` nil unless centred, `buffer` nil without momentum.
    @inlinable
    public static func rmsprop(value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, square: UnsafeMutablePointer<Float>,
                               mean: UnsafeMutablePointer<Float>?, buffer: UnsafeMutablePointer<Float>?, count: Int, learningRate: Float,
                               alpha: Float, epsilon: Float, weightDecay: Float, momentum: Float) {
        recur_rmsprop_update(value, gradient, square, mean, buffer, count, learningRate, alpha, epsilon, weightDecay, momentum)
    }
}
