import Foundation
import RecurCore

/// Validation figures: the loss and the task's other metrics (accuracy, macro-F1, ...).
public struct ValidationResult: Sendable {
    public var loss: Double
    public var metrics: [String: Double]

    public init(loss: Double, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.metrics = metrics
    }

    /// `loss` or one of `metrics` by name.
    public func value(of name: String) -> Double? { name == "loss" ? loss : metrics[name] }
}

/// What varies between tasks under one `Trainer`: the model, its batches and its validation.
public protocol TrainingTask: AnyObject {
    associatedtype Model: RecurModel
    var model: Model { get }
    /// Batches in one pass over the training data.
    var stepsPerEpoch: Int { get }
    /// Forward pass, loss and backward pass on the batch of global step `step` (from 0); the
    /// gradients start from zero. Returns the batch's mean loss and how many items it counted.
    func computeGradients(step: Int) -> (loss: Double, count: Int)
    /// After step `step`'s update was applied, or refused by the guard.
    func finishStep(step: Int, applied: Bool)
    /// Validation figures in evaluation mode, or nil when there is nothing to validate on.
    func validate() -> ValidationResult?
    /// The task's own state for exact resume (besides the model, the optimiser, the step and the
    /// dropout generator, which the trainer saves): e.g. a language model's carried state.
    func stateTensors() -> [(name: String, tensor: Tensor<Float>)]
    /// Restores what `stateTensors` saved, for a run continuing at `step`.
    func restoreState(from file: SafeTensors, step: Int) throws(CheckpointError)
    /// The ranks of a data-parallel run (nil: this process alone), with which the task shares its
    /// validation (and, where it carries state, gathers it for a checkpoint).
    var processGroup: (any CollectiveSum)? { get set }
}

/// Learning-rate schedules by name, as `recur train --lr-schedule` offers them.
public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiplied by `gamma` every `every` steps (PyTorch's StepLR).
    case step
    /// Cosine annealing from the base rate to 0 over the run (CosineAnnealingLR).
    case cosine
    /// Multiplied by `gamma` after `patience` validations without improvement (ReduceLROnPlateau).
    case plateau
}

/// The validation figure that picks the best model and drives early stopping and plateau schedules.
public struct Monitor: Codable, Equatable, Sendable {
    public var metric: String
    public var higherIsBetter: Bool

    public init(metric: String, higherIsBetter: Bool) {
        self.metric = metric
        self.higherIsBetter = higherIsBetter
    }

    public static let loss = Monitor(metric: "loss", higherIsBetter: false)
    public static let accuracy = Monitor(metric: "accuracy", higherIsBetter: true)

    /// Whether `value` improves on `best`.
    public func improves(_ value: Double, on best: Double?) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        return higherIsBetter ? value > best : value < best
    }
}

/// One training loop for every model: the guard against NaN and exploding losses, gradient clipping,
/// the optimiser, learning-rate schedules with warm-up, validation with best-model tracking, early
/// stopping, and the state that makes a resumed run continue bit for bit.
///
/// A step computes the batch's gradients (`TrainingTask`), asks `accept(loss, gradientNorm)` whether
/// to apply them, then clips and updates. While `accept` runs, the trainer is still as the previous
/// step left it (parameters, optimiser, step; `resumeGenerator` is the dropout generator as the step
/// found it), so a checkpoint saved there is one whose next loss is known to be good.
public final class Trainer<Task: TrainingTask> {
    public let task: Task
    public let optimizer: Optimizer<Float>
    public let optimizerKind: OptimizerKind
    /// Global-norm clipping threshold; nil disables clipping.
    public var clipNorm: Double?
    /// The rate before schedules.
    public var baseLearningRate: Double
    public var schedule: ScheduleKind
    /// Linear warm-up steps before the schedule starts.
    public var warmupSteps: Int
    /// `step`: steps between decays; `cosine`: the run's length in steps.
    public var schedulePeriod: Int
    /// The decay factor of `step` and `plateau`.
    public var gamma: Double
    /// `plateau`: validations without improvement before the rate drops.
    public var plateauPatience: Int
    /// Early stopping: validations without improvement of `monitor` before training stops (nil: never).
    public var patience: Int?
    public let monitor: Monitor

    /// Optimiser steps taken (refused batches included).
    public private(set) var step = 0
    /// The run's first applied loss: the guard's reference for an exploding loss.
    public private(set) var firstLoss: Double?
    /// The best validation value of `monitor` and its step.
    public private(set) var best: (value: Double, step: Int)?
    /// Validations in a row without improvement of `monitor`.
    public private(set) var validationsWithoutImprovement = 0
    /// The plateau schedule's factor so far.
    public private(set) var plateauScale = 1.0
    private var plateauBest: Double?
    private var plateauWaiting = 0
    private var generatorAtStepStart: RandomGenerator?
    /// Data-parallel training (nil: this process alone): after each backward pass the ranks' gradients
    /// and losses are summed, each weighted by its item count, so that every rank holds the gradient of
    /// the mean loss over all ranks' items (what one process would compute on all the batches at once)
    /// and clips and steps identically. The task's: setting it here sets it for the validation too.
    public var processGroup: (any CollectiveSum)? {
        get { task.processGroup }
        set { task.processGroup = newValue }
    }
    /// Seconds spent summing gradients across the ranks, over every step so far (`recur bench --distributed`).
    public var reductionSeconds = 0.0
    private var reduction: [Float] = []

    public init(task: Task, optimizer kind: OptimizerKind, learningRate: Double, clipNorm: Double? = 5,
                schedule: ScheduleKind = .constant, warmupSteps: Int = 0, schedulePeriod: Int = 1, gamma: Double = 0.1,
                plateauPatience: Int = 3, patience: Int? = nil, monitor: Monitor = .loss) {
        FreedMemory.keep()
        self.task = task
        self.optimizerKind = kind
        self.optimizer = kind.make(parameters: task.model.parameters, learningRate: learningRate)
        self.baseLearningRate = learningRate
        self.clipNorm = clipNorm
        self.schedule = schedule
        self.warmupSteps = warmupSteps
        self.schedulePeriod = max(1, schedulePeriod)
        self.gamma = gamma
        self.plateauPatience = plateauPatience
        self.patience = patience
        self.monitor = monitor
    }

    /// The dropout generator the next step not yet begun will draw from (see the type's note).
    public var resumeGenerator: RandomGenerator { generatorAtStepStart ?? task.model.dropoutGenerator }

    /// The learning rate of step `step` (from 0).
    public func learningRate(at step: Int) -> Double {
        let base = baseLearningRate * plateauScale
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let after = step - warmupSteps
        switch schedule {
        case .constant, .plateau:
            return base
        case .step:
            return LearningRateSchedule.stepDecay(every: schedulePeriod, gamma: gamma).learningRate(base: base, step: after)
        case .cosine:
            return LearningRateSchedule.cosine(steps: max(1, schedulePeriod - warmupSteps), minimum: 0).learningRate(base: base, step: after)
        }
    }

    /// What one step saw and did.
    public struct StepResult: Sendable {
        public var loss: Double
        public var gradientNorm: Double
        /// How many items (tokens, examples) the loss averaged over.
        public var count: Int
        /// False when `accept` refused the update: parameters and optimiser are untouched.
        public var applied: Bool
    }

    /// One training step (see the type's note on `accept`).
    public func trainStep(accepting accept: (_ loss: Double, _ gradientNorm: Double) -> Bool = { _, _ in true }) -> StepResult {
        let model = task.model
        generatorAtStepStart = model.dropoutGenerator
        defer { generatorAtStepStart = nil }
        model.isTraining = true
        model.zeroGradients()
        var (loss, count) = task.computeGradients(step: step)
        if let processGroup, processGroup.isShared {
            let start = monotonicSeconds()
            (loss, count) = reduceGradients(loss: loss, count: count, over: processGroup)
            reductionSeconds += monotonicSeconds() - start
        }
        let norm = GradientClipping.globalNorm(of: model.parameters)
        guard accept(loss, norm) else {
            task.finishStep(step: step, applied: false)
            step += 1
            return StepResult(loss: loss, gradientNorm: norm, count: count, applied: false)
        }
        if firstLoss == nil { firstLoss = loss }
        if let clipNorm { GradientClipping.clipByGlobalNorm(model.parameters, maxNorm: clipNorm, norm: norm) }
        optimizer.learningRate = learningRate(at: step)
        optimizer.step()
        task.finishStep(step: step, applied: true)
        step += 1
        return StepResult(loss: loss, gradientNorm: norm, count: count, applied: true)
    }

    /// Sums `count * gradient` and `count * loss` over the ranks, then divides by the total count.
    private func reduceGradients(loss: Double, count: Int, over group: any CollectiveSum) -> (loss: Double, count: Int) {
        let parameters = task.model.parameters
        let total = parameters.reduce(0) { $0 + $1.gradient.count }
        if reduction.count != total { reduction = [Float](repeating: 0, count: total) }
        let weight = Float(count)
        reduction.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for parameter in parameters {
                parameter.gradient.withUnsafeBufferPointer { g in
                    for i in 0..<g.count { buffer[offset + i] = g[i] * weight }
                }
                offset += parameter.gradient.count
            }
            group.sum(buffer.baseAddress!, count: total)
        }
        var totals = [loss * Double(count), Double(count)]
        group.sum(&totals)
        let scale = Float(1 / totals[1])
        reduction.withUnsafeBufferPointer { buffer in
            var offset = 0
            for parameter in parameters {
                parameter.gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] = buffer[offset + i] * scale }
                }
                offset += parameter.gradient.count
            }
        }
        return (totals[0] / totals[1], Int(totals[1]))
    }

    /// What a validation found.
    public struct Validation: Sendable {
        public var result: ValidationResult
        /// `monitor` improved on the best so far (the model is the new best).
        public var isBest: Bool
        /// Early stopping: `patience` validations passed without improvement.
        public var shouldStop: Bool
    }

    /// Validates in evaluation mode and updates the best value, early stopping and the plateau
    /// schedule; nil when the task has nothing to validate on.
    public func validate() -> Validation? {
        let model = task.model
        let mode = model.enterInference()
        defer { model.restore(mode) }
        guard let result = task.validate() else { return nil }
        let value = result.value(of: monitor.metric) ?? result.loss
        let isBest = monitor.improves(value, on: best?.value)
        if isBest {
            best = (value, step)
            validationsWithoutImprovement = 0
        } else {
            validationsWithoutImprovement += 1
        }
        if schedule == .plateau {
            if monitor.improves(value, on: plateauBest) {
                plateauBest = value
                plateauWaiting = 0
            } else {
                plateauWaiting += 1
                if plateauWaiting > plateauPatience {
                    plateauScale *= gamma
                    plateauWaiting = 0
                }
            }
        }
        let shouldStop = patience.map { validationsWithoutImprovement >= $0 } ?? false
        return Validation(result: result, isBest: isBest, shouldStop: shouldStop)
    }

    // MARK: Exact resume

    static var prefix: String { CharRNNCheckpoint.trainingStatePrefix }

    /// The training state: optimiser slots and the task's state as tensors, the rest as metadata.
    public func stateTensors() -> [(name: String, tensor: Tensor<Float>)] {
        var tensors: [(name: String, tensor: Tensor<Float>)] = []
        let names = task.model.namedParameters.map(\.name)
        for (slot, buffers) in optimizer.slots.sorted(by: { $0.key < $1.key }) {
            for (name, (buffer, parameter)) in zip(names, zip(buffers, optimizer.parameters)) {
                tensors.append((Self.prefix + "optimizer.\(slot).\(name)", Tensor(shape: parameter.shape, scalars: buffer)))
            }
        }
        return tensors + task.stateTensors().map { (Self.prefix + "task." + $0.name, $0.tensor) }
    }

    public func stateMetadata() -> [String: String] {
        let p = Self.prefix
        let rng = resumeGenerator.state
        var metadata = [
            p + "step": String(step),
            p + "optimizer": optimizerKind.rawValue,
            p + "optimizer_steps": String(optimizer.stepCount),
            p + "dropout_rng": [rng.0, rng.1, rng.2, rng.3].map { String($0, radix: 16) }.joined(separator: ","),
            p + "validations_without_improvement": String(validationsWithoutImprovement),
            p + "plateau": "\(plateauScale.bitPattern),\(plateauBest?.bitPattern ?? 0),\(plateauBest == nil ? 0 : 1),\(plateauWaiting)",
        ]
        if let firstLoss { metadata[p + "first_loss"] = String(firstLoss.bitPattern) }
        if let best { metadata[p + "best"] = "\(best.value.bitPattern),\(best.step)" }
        return metadata
    }

    /// Writes a training checkpoint: the model (loadable as such), the training state and `extra`.
    public func save(extra: [String: String] = [:], to url: URL) throws(FileError) {
        try AtomicFile.write(checkpointBytes(extra: extra), to: url)
    }

    /// The bytes `save` writes, taken now (for a `BackgroundFileWriter`).
    public func checkpointBytes(extra: [String: String] = [:]) -> [UInt8] {
        let metadata = ModelCheckpoint.metadata(of: task.model).merging(stateMetadata()) { own, _ in own }.merging(extra) { own, _ in own }
        return SafeTensors.encode(tensors: ModelCheckpoint.tensors(of: task.model) + stateTensors(), metadata: metadata)
    }

    /// Restores a training checkpoint written by `save` for a twin of this trainer's model.
    public func restore(from file: SafeTensors) throws(CheckpointError) {
        let metadata = file.metadata, p = Self.prefix
        func number<T: LosslessStringConvertible>(_ key: String, _ type: T.Type, radix: Bool = false) throws(CheckpointError) -> T {
            guard let text = metadata[p + key], let value = T(text) else {
                throw .trainingState(reason: "metadata '\(p)\(key)' is missing or malformed")
            }
            return value
        }
        let step: Int = try number("step", Int.self)
        guard step >= 0 else { throw .trainingState(reason: "metadata '\(p)step' is negative") }
        guard metadata[p + "optimizer"] == optimizerKind.rawValue else {
            throw .trainingState(reason: "it was trained with --optimizer \(metadata[p + "optimizer"] ?? "unknown"), not \(optimizerKind.rawValue)")
        }
        let optimizerSteps: Int = try number("optimizer_steps", Int.self)
        let words = (metadata[p + "dropout_rng"] ?? "").split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw .trainingState(reason: "metadata '\(p)dropout_rng' is not four hexadecimal words")
        }
        // A run saved before the plateau schedule existed has no plateau state: the schedule's start.
        let plateau = (metadata[p + "plateau"] ?? "\(1.0.bitPattern),0,0,0").split(separator: ",").compactMap { UInt64($0) }
        guard plateau.count == 4 else { throw .trainingState(reason: "metadata '\(p)plateau' is malformed") }
        var bestValue: (Double, Int)? = nil
        if let text = metadata[p + "best"] {
            let parts = text.split(separator: ",")
            guard parts.count == 2, let bits = UInt64(parts[0]), let at = Int(parts[1]) else {
                throw .trainingState(reason: "metadata '\(p)best' is malformed")
            }
            bestValue = (Double(bitPattern: bits), at)
        } else if let old = metadata[p + "best_val_loss"].flatMap(Double.init) {
            bestValue = (old, 0)  // a character-model run saved before the general trainer
        }
        let names = task.model.namedParameters.map(\.name)
        var slots: [String: [[Float]]] = [:]
        for slot in optimizer.slots.keys {
            var buffers: [[Float]] = []
            for (name, parameter) in zip(names, optimizer.parameters) {
                let key = p + "optimizer.\(slot).\(name)"
                guard let entry = file.entries[key] else { throw .missingTensor(name: key, expected: parameter.shape) }
                guard entry.shape == parameter.shape else { throw .wrongShape(name: key, expected: parameter.shape, found: entry.shape) }
                do {
                    buffers.append(try file.tensor(key).scalars)
                } catch {
                    throw .file(error)
                }
            }
            slots[slot] = buffers
        }
        try task.restoreState(from: file, step: step)
        optimizer.restore(stepCount: optimizerSteps, slots: slots)
        self.step = step
        task.model.dropoutGenerator = RandomGenerator(state: (words[0], words[1], words[2], words[3]))
        // A bit pattern, or (runs saved before the general trainer) a decimal.
        firstLoss = metadata[p + "first_loss"].flatMap { UInt64($0).map { Double(bitPattern: $0) } ?? Double($0) }
        best = bestValue.map { (value: $0.0, step: $0.1) }
        validationsWithoutImprovement = Int(metadata[p + "validations_without_improvement"] ?? "0") ?? 0
        plateauScale = Double(bitPattern: plateau[0])
        plateauBest = plateau[2] == 1 ? Double(bitPattern: plateau[1]) : nil
        plateauWaiting = Int(plateau[3])
    }
}
