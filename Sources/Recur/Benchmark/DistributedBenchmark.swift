import RecurCore

/// Data-parallel training speed of a character-model shape (`recur bench --distributed` under mpirun):
/// every rank trains `batch` streams of the same random text with the gradients summed across ranks,
/// for the same number of steps (agreed from a short timed run so that it lasts about `seconds`), and
/// reports the throughput of all ranks together and the time each step spent in the all-reduce.
public enum DistributedBenchmark {
    public struct Result: Sendable {
        public var configuration: CharRNNBenchmark.Configuration
        public var ranks: Int
        /// Parameters (with the embedding): the floats all-reduced per step.
        public var parameters: Int
        /// Tokens per second of all ranks together (the slowest rank's time).
        public var trainTokensPerSecond: Double
        /// Seconds per step, and of them in the all-reduce (mean over ranks; it includes waiting for the
        /// slowest rank to finish its backward pass).
        public var stepSeconds: Double
        public var allReduceSeconds: Double
        /// One all-reduce of the gradients' size alone, the ranks started together: the transport's cost.
        public var transferSeconds: Double
    }

    /// Trains `c` on this rank of `group` (one process alone when nil) and measures it.
    public static func run(_ c: CharRNNBenchmark.Configuration, seconds: Double, group: (any CollectiveSum)?,
                           seed: UInt64 = 0, engine: GEMMEngine = .fast) -> Result {
        precondition(seconds > 0, "DistributedBenchmark: expected a positive time, got \(seconds)")
        let ranks = group?.size ?? 1, rank = group?.rank ?? 0
        var generator = RandomGenerator(seed: seed)
        let trainer = CharRNNBenchmark.makeTrainer(c, using: &generator, engine: engine, shard: rank, of: ranks)
        let model = trainer.task.model
        trainer.processGroup = group
        for _ in 0..<2 { _ = trainer.trainStep() }
        // Every rank must take the same number of steps: the mean of the ranks' estimates.
        let probe = monotonicSeconds()
        for _ in 0..<2 { _ = trainer.trainStep() }
        var estimate = [max(2, seconds / max((monotonicSeconds() - probe) / 2, 1e-6))]
        group?.sum(&estimate)
        let steps = max(2, Int(estimate[0] / Double(ranks)))
        trainer.reductionSeconds = 0
        let start = monotonicSeconds()
        for _ in 0..<steps { _ = trainer.trainStep() }
        var times = [Double](repeating: 0, count: ranks), reduced = [trainer.reductionSeconds]
        times[rank] = monotonicSeconds() - start
        group?.sum(&times)
        group?.sum(&reduced)
        let slowest = times.max()!
        var transfer = 0.0
        if let group {
            var buffer = [Float](repeating: 1, count: model.parameterCount), sync = [0.0]
            let repeats = 5
            group.sum(&sync)  // start together
            let begin = monotonicSeconds()
            for _ in 0..<repeats { buffer.withUnsafeMutableBufferPointer { group.sum($0.baseAddress!, count: $0.count) } }
            var elapsed = [monotonicSeconds() - begin]
            group.sum(&elapsed)
            transfer = elapsed[0] / Double(ranks) / Double(repeats)
        }
        return Result(configuration: c, ranks: ranks, parameters: model.parameterCount,
                      trainTokensPerSecond: Double(steps * ranks * c.batch * c.steps) / slowest,
                      stepSeconds: slowest / Double(steps), allReduceSeconds: reduced[0] / Double(ranks) / Double(steps),
                      transferSeconds: transfer)
    }
}
