/// A token sequence cut into `batch` contiguous streams read side by side, for stateful truncated
/// BPTT: row b of every batch continues row b of the previous one, so the state carried from one
/// batch to the next belongs to the same stretch of text.
///
/// With N tokens, each stream holds `L = (N - 1) / batch` consecutive tokens (plus the one after
/// them for the last target); an epoch is `L / steps` batches; the tail that does not fill a whole
/// batch is left out. Batch k's inputs are `[T, B]`, time-major: element (t, b) is token
/// `b * L + k * T + t`, and its target is the token after it.
public struct TextStreams: Sendable {
    public let tokens: [Int]
    /// The streams of this shard (the rows of its batches).
    public let batch: Int
    public let steps: Int
    /// Data-parallel training: the text is cut into `batch * shards` streams and this shard reads
    /// streams `shard * batch ..< (shard + 1) * batch`, so that the shards' batches side by side are
    /// the batches of one process with `batch * shards` streams.
    public let shard: Int
    public let shards: Int

    public init(tokens: [Int], batch: Int, steps: Int, shard: Int = 0, of shards: Int = 1) {
        precondition(batch > 0 && steps > 0, "TextStreams: expected positive batch and steps, got \(batch), \(steps)")
        precondition(shards > 0 && shard >= 0 && shard < shards, "TextStreams: shard \(shard) outside 0..<\(shards)")
        precondition(tokens.count >= batch * shards * steps + 1,
                     "TextStreams: \(tokens.count) tokens cannot fill one batch of \(batch * shards) x \(steps) (+1)")
        self.tokens = tokens
        self.batch = batch
        self.steps = steps
        self.shard = shard
        self.shards = shards
    }

    /// L: the tokens in each stream.
    public var streamLength: Int { (tokens.count - 1) / (batch * shards) }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { streamLength / steps }

    /// Inputs and targets `[T * B]`, time-major, of batch `k` (0-based, within an epoch).
    public func batch(_ k: Int) -> (inputs: [Int], targets: [Int]) {
        precondition(k >= 0 && k < batchesPerEpoch, "TextStreams: batch \(k) outside 0..<\(batchesPerEpoch)")
        var inputs = [Int](repeating: 0, count: steps * batch)
        var targets = inputs
        for t in 0..<steps {
            for b in 0..<batch {
                let position = (shard * batch + b) * streamLength + k * steps + t
                inputs[t * batch + b] = tokens[position]
                targets[t * batch + b] = tokens[position + 1]
            }
        }
        return (inputs, targets)
    }
}
