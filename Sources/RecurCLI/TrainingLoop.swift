import Foundation
import Recur

/// The command's side of a training run for any task: steps the `Trainer` to `total`, shows progress,
/// appends metrics.jsonl and redraws loss.svg, validates every `evalEvery` steps (saving the best
/// model and stopping early when the trainer says so), writes checkpoints every `checkpointEvery`
/// steps (once the next batch shows the weights are still good), at the end and on Ctrl-C, and stops
/// on a diverging loss (or skips the batch).
struct TrainingLoop<Task: TrainingTask> {
    let trainer: Trainer<Task>
    let files: RunFiles
    let total: Int
    let evalEvery: Int
    let checkpointEvery: Int
    let skipNonfinite: Bool
    /// Metadata written into every checkpoint besides the model's and the trainer's (settings, data checksum).
    let runMetadata: [String: String]
    /// Items (tokens, examples) per step, for the throughput.
    let itemName: String
    /// The data option, for the divergence message.
    let dataOption: String
    /// The validation figures for metrics.jsonl (`val_` + name) and the progress line.
    let describeValidation: (ValidationResult) -> (metrics: [String: Double], text: String)
    /// Whether a previous run's checkpoint was restored.
    let resumed: Bool
    /// Whether this process writes the run's files and shows its progress (rank 0 of a data-parallel
    /// run, or the only process); the other ranks only compute.
    var leader = true
    /// The ranks of a data-parallel run: the line printed if a rank dies names the last checkpoint.
    var processGroup: ProcessGroup? = nil
    /// What the model writes now (a character model: a short sample), logged in samples.jsonl at every
    /// checkpoint for `recur report`; nil for tasks that write nothing.
    var sample: (() -> String)? = nil
    /// Writes the checkpoints while training goes on; at most one save's files are in flight.
    private let writer = BackgroundFileWriter()

    /// The metadata of every checkpoint at this moment.
    private func metadata(trainLoss: Double?, validation: ValidationResult?) -> [String: String] {
        var extra = runMetadata
        extra["step"] = String(trainer.step)
        extra["created_by"] = "recur"
        extra["optimizer"] = trainer.optimizerKind.rawValue
        extra["lr"] = String(trainer.baseLearningRate)
        if let trainLoss { extra["train_loss"] = String(trainLoss) }
        if let validation {
            extra["val_loss"] = String(validation.loss)
            for (key, value) in validation.metrics { extra["val_" + key] = String(value) }
        }
        if let best = trainer.best { extra["best_val_" + trainer.monitor.metric] = String(best.value) }
        return extra
    }

    /// Saves the training checkpoint and the model of this step (in the background: `writer`).
    private func saveCheckpoints(trainLoss: Double?, validation: ValidationResult?) throws {
        let note = "the last checkpoint, \(files.model.path) at step \(trainer.step), is intact; continue in one process with --resume"
        guard leader else {
            _ = trainer.task.stateTensors()  // the task's state gathering, in which rank 0's save takes part
            processGroup?.setFailureNote(note)
            return
        }
        let extra = metadata(trainLoss: trainLoss, validation: validation)
        let processGroup = processGroup
        try write([(trainer.checkpointBytes(extra: extra), files.training),
                   (ModelCheckpoint.bytes(of: trainer.task.model, extra: extra), files.model)],
                  then: { processGroup?.setFailureNote(note) },
                  failing: "the previous checkpoint is intact")
        if let sample { try SampleLog.append(.init(step: trainer.step, text: sample()), to: files.samples) }
    }

    /// Hands the files to the writer once the previous save's files are written (`done` runs after the
    /// last); a failure (this save's or the previous one's) becomes the command's error.
    private func write(_ contents: [([UInt8], URL)], then done: (@Sendable () -> Void)? = nil, failing intact: String) throws {
        try finishWriting(failing: intact)
        for (k, (bytes, url)) in contents.enumerated() {
            do {
                try writer.write(bytes, to: url, then: k == contents.count - 1 ? done : nil)
            } catch {
                throw writeError(error, intact: intact)
            }
        }
    }

    /// Waits for the checkpoints being written.
    private func finishWriting(failing intact: String = "the previous checkpoint is intact") throws {
        do {
            try writer.finish()
        } catch {
            throw writeError(error, intact: intact)
        }
    }

    private func writeError(_ error: FileError, intact: String) -> UserError {
        UserError("\(error) (step \(trainer.step)); \(intact): free space or fix the folder, then continue with --resume", kind: .ioError)
    }

    /// Runs to the end; returns the last validation, if any.
    @discardableResult
    func run() throws -> ValidationResult? {
        processGroup?.setFailureNote("no checkpoint had been saved yet")
        var metrics = leader ? try MetricsLog(url: files.metrics, keepingUpTo: trainer.step, resuming: resumed) : nil
        if leader && sample != nil { try SampleLog.prepare(files.samples, keepingUpTo: trainer.step, resuming: resumed) }
        Interrupt.install()
        let progress = leader ? Progress(total: total, rateUnit: itemName == "tokens" ? "tok/s" : "ex/s") : nil
        let start = Date()
        let startStep = trainer.step
        var window: [Double] = []
        var norms: [Double] = []
        var items = 0
        var lastLoss: Double? = nil
        var lastValidation: ValidationResult? = nil
        var lastSavedStep = resumed ? trainer.step : nil
        var skipped = 0
        var pendingSave = false
        var stopEarly = false
        defer { try? writer.finish() }  // every way out leaves the queued checkpoints written

        while trainer.step < total && !stopEarly {
            var problem: String? = nil
            var saveError: Error? = nil
            let result = trainer.trainStep { loss, norm in
                problem = TrainingGuard.problem(loss: loss, gradientNorm: norm, firstLoss: trainer.firstLoss)
                // A due checkpoint is written once the next batch shows the weights still give a
                // finite, non-exploding loss, so that the checkpoint left behind is a good one.
                if problem == nil && pendingSave {
                    do {
                        try saveCheckpoints(trainLoss: lastLoss, validation: lastValidation)
                        lastSavedStep = trainer.step
                        pendingSave = false
                    } catch {
                        saveError = error
                    }
                }
                return problem == nil
            }
            if let saveError { throw saveError }
            let step = trainer.step
            if let problem {
                guard skipNonfinite else {
                    progress?.finish()
                    try finishWriting()
                    let kept = lastSavedStep.map { "\(files.model.path) (step \($0)) is the last good checkpoint and was not touched" }
                        ?? "no checkpoint had been saved yet"
                    let clip = trainer.clipNorm
                    throw TrainingStopped(
                        "--data \(dataOption): training diverged: \(problem) (step \(step)); \(kept); "
                        + "try a lower --lr than \(trainer.baseLearningRate)\(clip.map { " or a --clip below \($0)" } ?? " or --clip 5") "
                        + "(both may change with --resume), or --on-nonfinite skip")
                }
                skipped += 1
                progress?.message("step \(step): \(problem); batch skipped (\(skipped) so far), parameters unchanged")
            } else {
                window.append(result.loss)
                norms.append(result.gradientNorm)
                items += result.count
                lastLoss = result.loss
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(items) / max(elapsed, 1e-9)
                progress?.update(step: step, loss: result.loss, tokensPerSecond: rate,
                                secondsLeft: elapsed / Double(step - startStep) * Double(total - step))
                let isEval = step % evalEvery == 0 || step == total
                if step % 10 == 0 || isEval {
                    let trainLoss = window.reduce(0, +) / Double(max(window.count, 1))
                    window = []
                    var record = MetricsLog.Record(step: step, trainLoss: trainLoss, lr: trainer.optimizer.learningRate,
                                                   tokensPerSecond: rate, elapsed: (metrics?.elapsedOffset ?? 0) + elapsed)
                    record.rateKey = "\(itemName)_per_s"
                    if !norms.isEmpty {
                        record.gradientNorm = norms.reduce(0, +) / Double(norms.count)
                        record.gradientNormMax = norms.max()
                        record.clipped = Double(norms.filter { norm in trainer.clipNorm.map { norm > $0 } ?? false }.count) / Double(norms.count)
                        norms = []
                    }
                    if isEval, let validation = trainer.validate() {
                        lastValidation = validation.result
                        let described = describeValidation(validation.result)
                        record.validationLoss = validation.result.loss
                        for (key, value) in described.metrics { record.validation["val_" + key] = value }
                        if validation.isBest && !leader { _ = trainer.task.stateTensors() }
                        if validation.isBest && leader {
                            let extra = metadata(trainLoss: trainLoss, validation: validation.result)
                            try write([(trainer.checkpointBytes(extra: extra), files.bestTraining),
                                       (ModelCheckpoint.bytes(of: trainer.task.model, extra: extra), files.best)],
                                      failing: "the previous best checkpoint is intact")
                        }
                        progress?.message("step \(step)/\(total)  train \(String(format: "%.4f", trainLoss))  \(described.text)\(validation.isBest ? "  best" : "")")
                        if validation.shouldStop {
                            progress?.message("early stopping: \(trainer.validationsWithoutImprovement) validations without a better \(trainer.monitor.metric) (best at step \(trainer.best?.step ?? 0))")
                            stopEarly = true
                        }
                    }
                    try metrics?.append(record)
                    if isEval { try metrics?.drawPlot(to: files.plot) }
                }
            }
            if step == total || stopEarly {
                try saveCheckpoints(trainLoss: lastLoss, validation: lastValidation)
                lastSavedStep = step
            } else if step % checkpointEvery == 0 {
                pendingSave = true
            }
            if Interrupt.requested {
                try saveCheckpoints(trainLoss: lastLoss, validation: lastValidation)
                try finishWriting()
                progress?.finish()
                if leader { printError("interrupted at step \(step) of \(total); saved \(files.model.path) and \(files.training.path); continue with --resume") }
                Foundation.exit(Interrupt.exitCode)
            }
        }
        try finishWriting()
        progress?.finish()
        return lastValidation
    }
}
