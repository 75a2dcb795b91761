import RecurCore

/// A task over whole sequences in seeded, length-bucketed mini-batches (`SequenceBatches`): nothing
/// carries over from one batch to the next, so the step alone says which batch comes and the task
/// has no state of its own for a checkpoint. Classification, tagging, generation and seq2seq are such
/// tasks; each says how a batch of its training rows is made.
public protocol WholeSequenceTask: TrainingTask {
    /// The order of the training rows.
    var order: SequenceBatches { get }
    /// The model's batch of the given training rows.
    func trainingBatch(_ rows: [Int]) -> Model.Batch
}

extension WholeSequenceTask {
    public var stepsPerEpoch: Int { order.batchesPerEpoch }

    /// This process's part of the step's batch (all of it unless `order` is sharded); a shard left
    /// without rows counts nothing and adds no gradient.
    public func computeGradients(step: Int) -> (loss: Double, count: Int) {
        let rows = order.shardRows(step: step)
        guard !rows.isEmpty else { return (0, 0) }
        return model.lossAndGradients(trainingBatch(rows))
    }

    public func finishStep(step: Int, applied: Bool) {}
    public func stateTensors() -> [(name: String, tensor: Tensor<Float>)] { [] }
    public func restoreState(from file: SafeTensors, step: Int) throws(CheckpointError) {}
}
