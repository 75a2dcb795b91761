import Foundation
import RecurCore

/// Everything `recur train --resume` needs to continue exactly where a run stopped, in one
/// safetensors file beside the model (`training.safetensors`):
///
/// - the model's tensors under their usual names (the file also loads as a plain model);
/// - `training.optimizer.<slot>.<parameter>`: the optimiser's state buffers;
/// - `training.state.h`, `training.state.c`: the state carried into the next batch (absent at an
///   epoch boundary, where it resets);
/// - metadata: the model description, and `training.step`, `training.optimizer`,
///   `training.optimizer_steps`, `training.dropout_rng` (the dropout generator's four state words),
///   plus whatever the caller adds (options, data checksum, best validation loss).
public enum TrainingCheckpoint {
    static let prefix = CharRNNCheckpoint.trainingStatePrefix

    public static func save(
        _ trainer: TruncatedBPTT<Float>, optimizer kind: OptimizerKind, configuration: CharRNNConfiguration,
        extra: [String: String], to url: URL
    ) throws(FileError) {
        var tensors = CharRNNCheckpoint.tensors(of: trainer.model)
        let names = trainer.model.namedParameters.map(\.name)
        for (slot, buffers) in trainer.optimizer.slots.sorted(by: { $0.key < $1.key }) {
            for (name, (buffer, parameter)) in zip(names, zip(buffers, trainer.optimizer.parameters)) {
                tensors.append((prefix + "optimizer.\(slot).\(name)", Tensor(shape: parameter.shape, scalars: buffer)))
            }
        }
        if let state = trainer.state {
            tensors.append((prefix + "state.h", state.h))
            if let c = state.c { tensors.append((prefix + "state.c", c)) }
        }
        let rng = trainer.resumeGenerator.state
        var metadata = configuration.metadata.merging(extra) { own, _ in own }
        metadata[prefix + "step"] = String(trainer.step)
        metadata[prefix + "optimizer"] = kind.rawValue
        metadata[prefix + "optimizer_steps"] = String(trainer.optimizer.stepCount)
        metadata[prefix + "dropout_rng"] = [rng.0, rng.1, rng.2, rng.3].map { String($0, radix: 16) }.joined(separator: ",")
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: url)
    }

    /// Restores the optimiser state, step, carried state and dropout generator of a loaded training
    /// checkpoint into `trainer`, whose model must be `loaded.model`'s twin (same configuration).
    public static func restore(_ trainer: TruncatedBPTT<Float>, optimizer kind: OptimizerKind,
                               from loaded: CharRNNCheckpoint.Loaded) throws(CheckpointError) {
        let metadata = loaded.metadata, file = loaded.file
        guard let step = metadata[prefix + "step"].flatMap(Int.init), step >= 0 else {
            throw .trainingState(reason: "metadata '\(prefix)step' is missing")
        }
        guard metadata[prefix + "optimizer"] == kind.rawValue else {
            throw .trainingState(reason: "it was trained with --optimizer \(metadata[prefix + "optimizer"] ?? "unknown"), not \(kind.rawValue)")
        }
        guard let optimizerSteps = metadata[prefix + "optimizer_steps"].flatMap(Int.init) else {
            throw .trainingState(reason: "metadata '\(prefix)optimizer_steps' is missing")
        }
        let words = (metadata[prefix + "dropout_rng"] ?? "").split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw .trainingState(reason: "metadata '\(prefix)dropout_rng' is not four hexadecimal words")
        }
        for (target, source) in zip(trainer.model.parameters, loaded.model.parameters) { target.value = source.value }
        let names = trainer.model.namedParameters.map(\.name)
        var slots: [String: [[Float]]] = [:]
        for slot in trainer.optimizer.slots.keys {
            var buffers: [[Float]] = []
            for (name, parameter) in zip(names, trainer.optimizer.parameters) {
                let key = prefix + "optimizer.\(slot).\(name)"
                let value = try tensor(key, in: file)
                guard value.shape == parameter.shape else {
                    throw .wrongShape(name: key, expected: parameter.shape, found: value.shape)
                }
                buffers.append(value.scalars)
            }
            slots[slot] = buffers
        }
        trainer.optimizer.restore(stepCount: optimizerSteps, slots: slots)
        var state: RecurrentState<Float>? = nil
        if file.entries[prefix + "state.h"] != nil {
            let expected = [trainer.model.rnn.stateCount, trainer.streams.batch, trainer.model.rnn.hiddenSize]
            let h = try tensor(prefix + "state.h", in: file)
            guard h.shape == expected else { throw .wrongShape(name: prefix + "state.h", expected: expected, found: h.shape) }
            var c: Tensor<Float>? = nil
            if trainer.model.rnn.cell.hasCellState {
                c = try tensor(prefix + "state.c", in: file)
                guard c!.shape == expected else { throw .wrongShape(name: prefix + "state.c", expected: expected, found: c!.shape) }
            }
            state = RecurrentState(h: h, c: c)
        }
        trainer.restore(step: step, state: state)
        trainer.model.rnn.generator = RandomGenerator(state: (words[0], words[1], words[2], words[3]))
    }

    private static func tensor(_ name: String, in file: SafeTensors) throws(CheckpointError) -> Tensor<Float> {
        do {
            return try file.tensor(name)
        } catch {
            throw .file(error)
        }
    }
}
