import RecurCore

/// The common part of every optimiser: the parameters it updates, the learning rate, the step count,
/// and named per-parameter state buffers ("slots": momentum, moments, accumulators).
///
/// `step()` reads each parameter's accumulated gradient and updates its value in place; it does not
/// zero the gradients (call `Module.zeroGradients()`). The update rules follow PyTorch's `torch.optim`
/// (same defaults, same order of operations), so the same gradients give the same parameters.
public class Optimizer<Scalar: RecurScalar> {
    public let parameters: [Parameter<Scalar>]
    /// The learning rate of the next step (a schedule may change it between steps).
    public var learningRate: Double
    /// Steps taken so far.
    public internal(set) var stepCount = 0
    /// Per-slot, per-parameter state; each buffer has the parameter's element count.
    public internal(set) var slots: [String: [[Scalar]]] = [:]

    init(parameters: [Parameter<Scalar>], learningRate: Double, slotNames: [String]) {
        precondition(learningRate.isFinite && learningRate >= 0,
                     "Optimizer: expected a finite, non-negative learning rate, got \(learningRate)")
        self.parameters = parameters
        self.learningRate = learningRate
        for name in slotNames {
            slots[name] = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
        }
    }

    /// Applies one update to every parameter.
    public func step() {
        stepCount += 1
        for index in parameters.indices {
            let parameter = parameters[index]
            parameter.gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    update(index: index, value: p, gradient: g)
                }
            }
        }
    }

    /// Restores the step count and slots saved from an optimiser of the same kind and parameters.
    public func restore(stepCount: Int, slots: [String: [[Scalar]]]) {
        precondition(Set(slots.keys) == Set(self.slots.keys),
                     "Optimizer: expected slots \(self.slots.keys.sorted()), got \(slots.keys.sorted())")
        for (name, buffers) in slots {
            precondition(buffers.map(\.count) == self.slots[name]!.map(\.count),
                         "Optimizer: slot \(name) does not match the parameters' sizes")
        }
        self.stepCount = stepCount
        self.slots = slots
    }

    /// The update of one parameter; subclasses implement it.
    func update(index: Int, value: UnsafeMutableBufferPointer<Scalar>, gradient: UnsafeBufferPointer<Scalar>) {
        preconditionFailure("Optimizer.update must be overridden")
    }

    /// Runs `body` with mutable access to a slot buffer of parameter `index`.
    func withSlot<R>(_ name: String, _ index: Int, _ body: (UnsafeMutableBufferPointer<Scalar>) -> R) -> R {
        slots[name]![index].withUnsafeMutableBufferPointer { body($0) }
    }
}
