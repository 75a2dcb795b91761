import RecurCore

/// A trainable tensor and the gradient accumulated for it.
///
/// Backward passes *add* into `gradient`; `zeroGradient()` (or `Module.zeroGradients()`) clears it
/// between optimiser steps. Optimisers update `value` in place, so a Parameter is a reference type
/// shared by the layer that uses it and the optimiser that updates it.
public final class Parameter<Scalar: RecurScalar> {
    public var value: Tensor<Scalar> {
        didSet {
            precondition(value.shape == oldValue.shape,
                         "Parameter: expected shape \(oldValue.shape), got \(value.shape)")
        }
    }
    public var gradient: Tensor<Scalar>
    /// A frozen parameter keeps its value: optimisers skip it and the global gradient norm leaves it
    /// out (its gradient is still computed). Keras's one-bias LSTM is Recur's with `bias_hh` frozen at zero.
    public var isFrozen = false

    public init(_ value: Tensor<Scalar>) {
        self.value = value
        self.gradient = Tensor(shape: value.shape)
    }

    public var shape: [Int] { value.shape }

    public func zeroGradient() { gradient.zero() }
}

/// Anything that owns parameters: a layer, a stack of layers, a whole model.
public protocol Module: AnyObject {
    associatedtype Scalar: RecurScalar
    /// Every parameter with its PyTorch `state_dict` name, in PyTorch's order.
    var namedParameters: [(name: String, parameter: Parameter<Scalar>)] { get }
}

extension Module {
    public var parameters: [Parameter<Scalar>] { namedParameters.map(\.parameter) }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// The total number of trainable scalars (frozen parameters left out).
    public var parameterCount: Int { parameters.reduce(0) { $0 + ($1.isFrozen ? 0 : $1.value.count) } }
}
