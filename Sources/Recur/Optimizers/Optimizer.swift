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
    /// Per-slot, per-parameter state buffers, each with the parameter's element count.
    private var slotBuffers: [String: [ScratchBuffer<Scalar>]] = [:]

    init(parameters: [Parameter<Scalar>], learningRate: Double, slotNames: [String]) {
        precondition(learningRate.isFinite && learningRate >= 0,
                     "Optimizer: expected a finite, non-negative learning rate, got \(learningRate)")
        self.parameters = parameters
        self.learningRate = learningRate
        for name in slotNames {
            slotBuffers[name] = parameters.map { ScratchBuffer<Scalar>(count: $0.value.count) }
        }
    }

    /// Applies one update to every parameter. Every rule is element by element, so a large parameter's
    /// elements are shared among the compute threads; the result does not depend on their number.
    public func step() {
        stepCount += 1
        for index in parameters.indices where !parameters[index].isFrozen {
            let parameter = parameters[index]
            parameter.gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    let value = p
                    ComputeThreads.forEachShare(count: p.count, minimumShare: 1 << 15) { _, elements in
                        update(index: index, elements: elements, value: value, gradient: g)
                    }
                }
            }
        }
    }

    /// Per-slot, per-parameter state (momentum, moments, accumulators), copied out: the names are
    /// PyTorch's (`momentum_buffer`, `square_avg`, `exp_avg`, ...).
    public var slots: [String: [[Scalar]]] { slotBuffers.mapValues { $0.map(\.array) } }

    /// Restores the step count and slots saved from an optimiser of the same kind and parameters.
    public func restore(stepCount: Int, slots: [String: [[Scalar]]]) {
        precondition(Set(slots.keys) == Set(slotBuffers.keys),
                     "Optimizer: expected slots \(slotBuffers.keys.sorted()), got \(slots.keys.sorted())")
        for (name, values) in slots {
            let buffers = slotBuffers[name]!
            precondition(values.map(\.count) == buffers.map(\.count),
                         "Optimizer: slot \(name) does not match the parameters' sizes")
            for (buffer, saved) in zip(buffers, values) { buffer.pointer.update(from: saved, count: saved.count) }
        }
        self.stepCount = stepCount
    }

    /// The update of `elements` of parameter `index`; subclasses implement it.
    func update(index: Int, elements: Range<Int>, value: UnsafeMutableBufferPointer<Scalar>,
                gradient: UnsafeBufferPointer<Scalar>) {
        preconditionFailure("Optimizer.update must be overridden")
    }

    /// Elements from `offset` of a buffer as Float, or nil when this optimiser works in Double (whose
    /// updates stay lane by lane in Swift, for the gradient checks): Float updates run in
    /// `OptimizerKernels`, in the run-time instruction set.
    @inline(__always)
    func floats(_ buffer: UnsafeMutableBufferPointer<Scalar>, _ offset: Int) -> UnsafeMutablePointer<Float>? {
        guard Scalar.self == Float.self, let base = buffer.baseAddress else { return nil }
        return UnsafeMutableRawPointer(base + offset).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    func floats(_ buffer: UnsafeBufferPointer<Scalar>, _ offset: Int) -> UnsafePointer<Float>? {
        guard Scalar.self == Float.self, let base = buffer.baseAddress else { return nil }
        return UnsafeRawPointer(base + offset).assumingMemoryBound(to: Float.self)
    }

    /// The state buffer `name` of parameter `index`.
    func slot(_ name: String, _ index: Int) -> UnsafeMutableBufferPointer<Scalar> {
        slotBuffers[name]![index].buffer
    }
}
