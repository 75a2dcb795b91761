import Foundation
import RecurCore

/// Stateful truncated backpropagation through time for a character model, as a `TrainingTask`.
///
/// Step k of an epoch takes batch k of the parallel streams (`TextStreams`), runs the model from the
/// state the previous step ended in, and back-propagates the mean cross-entropy through those T steps
/// only: the carried state is a constant, so gradients stop at the chunk's edge. The state resets to
/// zero at the start of each epoch. After a refused update the carried state is kept only if it is
/// finite (else the next batch starts from zero).
public final class LanguageModelTask: TrainingTask {
    public let model: CharRNN<Float>
    public let streams: TextStreams
    /// The held-out text, evaluated in `validationStreams` rows of `streams.steps`-step chunks.
    public let validationTokens: [Int]
    /// The state carried into the next batch (nil: zero).
    public private(set) var state: RecurrentState<Float>?
    private var final: RecurrentState<Float>?

    public init(model: CharRNN<Float>, streams: TextStreams, validationTokens: [Int] = []) {
        self.model = model
        self.streams = streams
        self.validationTokens = validationTokens
    }

    public var stepsPerEpoch: Int { streams.batchesPerEpoch }

    public func computeGradients(step: Int) -> (loss: Double, count: Int) {
        let k = step % streams.batchesPerEpoch
        if k == 0 { state = nil }
        let (inputs, targets) = streams.batch(k, epoch: step / streams.batchesPerEpoch)
        let (logits, final) = model.forward(inputs, steps: streams.steps, batch: streams.batch, state: state)
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: logits, targets: targets)
        model.backward(logitsGradient: dLogits)
        self.final = final
        return (loss, inputs.count)
    }

    public func finishStep(step: Int, applied: Bool) {
        guard let final else { return }
        state = applied || final.isFinite ? final : nil
        self.final = nil
    }

    /// Data-parallel training: the validation's streams are shared among the ranks and their sums added,
    /// and the carried state gathered from every rank for a checkpoint.
    public var processGroup: (any CollectiveSum)?

    /// The validation loss in nats per character, and `bits_per_char`. The held-out text is read in as
    /// many streams as a batch has rows (fewer for a short text); under a process group each rank
    /// evaluates its share of the streams and the sums are added, which gives the same figure.
    public func validate() -> ValidationResult? {
        guard validationTokens.count >= 2 else { return nil }
        let rows = max(1, min(streams.batch * streams.shards, (validationTokens.count - 1) / streams.steps))
        guard let group = processGroup, group.isShared else {
            let nats = Evaluation.loss(of: model, tokens: validationTokens, streams: rows, chunk: streams.steps).nats
            return ValidationResult(loss: nats, metrics: ["bpc": nats / Foundation.log(2)])
        }
        let share = (rows * group.rank / group.size)..<(rows * (group.rank + 1) / group.size)
        let part = Evaluation.loss(of: model, tokens: validationTokens, streams: rows, chunk: streams.steps, rows: share)
        var sums = [part.nats * Double(part.count), Double(part.count)]
        group.sum(&sums)
        let nats = sums[0] / sums[1]
        return ValidationResult(loss: nats, metrics: ["bpc": nats / Foundation.log(2)])
    }

    /// The carried state; under a process group, every rank's rows (`[layers, ranks x batch, hidden]`,
    /// gathered by a sum: each rank must call this at the same point, rank 0 to save it).
    public func stateTensors() -> [(name: String, tensor: Tensor<Float>)] {
        var present = [state == nil ? 0.0 : 1.0]
        if let group = processGroup, group.isShared { group.sum(&present) }
        guard present[0] > 0 else { return [] }
        let state = state ?? model.rnn.zeroState(batch: streams.batch)
        return [("state.h", gathered(state.h))] + (state.c.map { [("state.c", gathered($0))] } ?? [])
    }

    /// `[L, B, H]` of this rank into its rows of `[L, ranks x B, H]`, summed over the ranks.
    private func gathered(_ rows: Tensor<Float>) -> Tensor<Float> {
        guard let group = processGroup, group.isShared else { return rows }
        let L = rows.shape[0], B = rows.shape[1], H = rows.shape[2], N = group.size
        var all = Tensor<Float>(shape: [L, N * B, H])
        all.withUnsafeMutableBufferPointer { target in
            rows.withUnsafeBufferPointer { source in
                for l in 0..<L {
                    (target.baseAddress! + (l * N + group.rank) * B * H).update(from: source.baseAddress! + l * B * H, count: B * H)
                }
            }
            group.sum(target.baseAddress!, count: target.count)
        }
        return all
    }

    public func restoreState(from file: SafeTensors, step: Int) throws(CheckpointError) {
        // `training.state.*` in runs saved before the general trainer.
        let prefix = [CharRNNCheckpoint.trainingStatePrefix + "task.", CharRNNCheckpoint.trainingStatePrefix]
            .first { file.entries[$0 + "state.h"] != nil }
        guard let prefix else {
            state = nil
            return
        }
        let expected = [model.rnn.stateCount, streams.batch * streams.shards, model.rnn.hiddenSize]
        func tensor(_ name: String) throws(CheckpointError) -> Tensor<Float> {
            guard let entry = file.entries[prefix + name] else { throw .missingTensor(name: prefix + name, expected: expected) }
            guard entry.shape == expected else { throw .wrongShape(name: prefix + name, expected: expected, found: entry.shape) }
            do {
                return try file.tensor(prefix + name)
            } catch {
                throw .file(error)
            }
        }
        let h = try tensor("state.h"), c = model.rnn.cell.hasCellState ? try tensor("state.c") : nil
        state = RecurrentState(h: ownRows(of: h), c: c.map(ownRows))
    }

    /// This shard's rows of a state saved for every shard's (`[L, shards x B, H]` to `[L, B, H]`).
    private func ownRows(of all: Tensor<Float>) -> Tensor<Float> {
        guard streams.shards > 1 else { return all }
        let L = all.shape[0], B = streams.batch, H = all.shape[2], N = streams.shards
        var rows = Tensor<Float>(shape: [L, B, H])
        rows.withUnsafeMutableBufferPointer { target in
            all.withUnsafeBufferPointer { source in
                for l in 0..<L {
                    (target.baseAddress! + l * B * H).update(from: source.baseAddress! + (l * N + streams.shard) * B * H, count: B * H)
                }
            }
        }
        return rows
    }
}
