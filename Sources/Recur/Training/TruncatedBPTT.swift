import RecurCore

/// Stateful truncated backpropagation through time for a character model.
///
/// Each step takes the next `[T, B]` batch of the parallel streams, runs the model from the state the
/// previous step ended in, back-propagates the mean cross-entropy through those T steps only (the
/// carried state is a constant: gradients stop at the chunk's edge), clips the global gradient norm,
/// and updates the parameters. The state resets to zero at the start of each epoch.
public final class TruncatedBPTT<Scalar: RecurScalar> {
    public let model: CharRNN<Scalar>
    public let optimizer: Optimizer<Scalar>
    public let streams: TextStreams
    /// Global-norm clipping threshold; nil disables clipping.
    public var clipNorm: Double?
    /// Optimiser steps taken.
    public private(set) var step = 0
    /// The state carried into the next batch (nil: zero).
    public private(set) var state: RecurrentState<Scalar>?
    /// The dropout generator as the step in progress found it (nil between steps).
    private var generatorAtStepStart: RandomGenerator?

    /// The dropout generator that the next step not yet begun will draw from: a checkpoint saves this
    /// one. Between steps it is the model's own; inside `accept` (where the step's forward pass has
    /// already drawn its masks) it is the generator as the step found it, so that a checkpoint saved
    /// there replays the same masks on resume.
    public var resumeGenerator: RandomGenerator { generatorAtStepStart ?? model.rnn.generator }

    public init(model: CharRNN<Scalar>, optimizer: Optimizer<Scalar>, streams: TextStreams, clipNorm: Double? = 5) {
        self.model = model
        self.optimizer = optimizer
        self.streams = streams
        self.clipNorm = clipNorm
    }

    /// Continues from a saved point: `step` steps taken, `state` carried into the next batch.
    public func restore(step: Int, state: RecurrentState<Scalar>?) {
        precondition(step >= 0, "TruncatedBPTT: expected a non-negative step, got \(step)")
        self.step = step
        self.state = state
    }

    /// The epoch (from 0) and the batch within it that the next step trains on.
    public var position: (epoch: Int, batch: Int) {
        (step / streams.batchesPerEpoch, step % streams.batchesPerEpoch)
    }

    /// What one training step saw and did.
    public struct StepResult: Sendable {
        /// The batch's mean loss, nats per symbol.
        public var loss: Double
        /// The global gradient norm before clipping.
        public var gradientNorm: Double
        /// False when the guard refused the update: the parameters and the optimiser are untouched.
        public var applied: Bool
    }

    /// One training step; returns the batch's mean loss (nats per symbol) and the gradient norm
    /// before clipping.
    @discardableResult
    public func trainStep() -> (loss: Double, gradientNorm: Double) {
        let result = trainStep(accepting: { _, _ in true })
        return (result.loss, result.gradientNorm)
    }

    /// One training step whose update happens only if `accept(loss, gradientNorm)` says so, asked after
    /// the backward pass and before clipping and the update. While `accept` runs, the trainer (step,
    /// parameters, optimiser, carried state) is still as the previous step left it, so a checkpoint
    /// saved there is one whose next loss is known (`resumeGenerator` gives the dropout generator as the
    /// step found it). A refused batch still counts as a step
    /// (the next step reads the next batch); its parameters, optimiser state and gradients-to-be stay
    /// as they were, and the carried state is kept only if it is finite (else the next batch starts
    /// from zero).
    public func trainStep(accepting accept: (_ loss: Double, _ gradientNorm: Double) -> Bool) -> StepResult {
        let k = position.batch
        if k == 0 { state = nil }
        let (inputs, targets) = streams.batch(k)
        generatorAtStepStart = model.rnn.generator
        defer { generatorAtStepStart = nil }
        model.isTraining = true
        model.zeroGradients()
        let (logits, final) = model.forward(inputs, steps: streams.steps, batch: streams.batch, state: state)
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets)
        model.backward(logitsGradient: dLogits)
        let norm = GradientClipping.globalNorm(of: model.parameters)
        guard accept(loss, norm) else {
            step += 1
            state = final.isFinite ? final : nil
            return StepResult(loss: loss, gradientNorm: norm, applied: false)
        }
        if let clipNorm { GradientClipping.clipByGlobalNorm(model.parameters, maxNorm: clipNorm, norm: norm) }
        optimizer.step()
        step += 1
        state = final
        return StepResult(loss: loss, gradientNorm: norm, applied: true)
    }
}
