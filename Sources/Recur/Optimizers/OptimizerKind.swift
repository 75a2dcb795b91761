import RecurCore

/// The optimisers by name, each with PyTorch's default hyperparameters except the learning rate;
/// `kerasAdam` (`keras-adam`) is Keras's Adam: its defaults (betas 0.9, 0.999, epsilon 1e-7) and its
/// placement of epsilon (`Adam.epsilonOutsideCorrection`).
public enum OptimizerKind: String, Sendable, CaseIterable {
    case adam
    case kerasAdam = "keras-adam"
    case adamw
    case rmsprop
    case sgd
    case adagrad

    public func make<Scalar: RecurScalar>(parameters: [Parameter<Scalar>], learningRate: Double) -> Optimizer<Scalar> {
        switch self {
        case .adam: return Adam(parameters: parameters, learningRate: learningRate)
        case .kerasAdam: return Adam(parameters: parameters, learningRate: learningRate, epsilon: 1e-7, epsilonOutsideCorrection: true)
        case .adamw: return AdamW(parameters: parameters, learningRate: learningRate)
        case .rmsprop: return RMSprop(parameters: parameters, learningRate: learningRate)
        case .sgd: return SGD(parameters: parameters, learningRate: learningRate)
        case .adagrad: return Adagrad(parameters: parameters, learningRate: learningRate)
        }
    }
}
