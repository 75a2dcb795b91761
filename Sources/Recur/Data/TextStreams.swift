/// A token sequence cut into `batch` contiguous streams read side by side, for stateful truncated
/// BPTT: row b of every batch continues row b of the previous one, so the state carried from one
/// batch to the next belongs to the same stretch of text.
///
/// With N tokens, each stream holds `L = (N - 1) / batch` consecutive tokens (plus the one after
/// them for the last target); an epoch is `L / steps` batches; the tail that does not fill a whole
/// batch is left out. Batch k's inputs are `[T, B]`, time-major: element (t, b) is token
/// `b * L + k * T + t`, and its target is the token after it.
///
/// With `order: .shuffledChunks` the text is instead cut into consecutive chunks of T + 1 tokens
/// (a chunk's first T are the inputs, its last T the targets; the tail that fills no chunk is left
/// out), the chunks are shuffled every epoch through a buffer (below), and batch k holds chunks
/// `k * B ..< (k + 1) * B` of that order (the tail that fills no batch is left out): the seed
/// article's Keras pipeline, tf.data's `batch(T + 1, drop_remainder=True).shuffle(buffer)
/// .batch(B, drop_remainder=True)`. Row b of a batch does not continue row b of the previous one, but
/// a stateful model carries its state there all the same, as Keras's `stateful=True` does.
public struct TextStreams: Sendable {
    /// How the text becomes batches.
    public enum Order: Sendable, Equatable {
        /// `batch` contiguous streams read side by side (char-rnn, torch-rnn).
        case streams
        /// Chunks of T + 1 tokens shuffled every epoch through a buffer of `buffer` chunks, as
        /// tf.data's `shuffle`: the buffer starts with the first `buffer` chunks; each draw takes a
        /// uniformly random one of the buffer and puts the next unread chunk in its place. The order of
        /// epoch e depends only on `seed` and e.
        case shuffledChunks(buffer: Int, seed: UInt64)
    }

    public let tokens: [Int]
    /// The streams of this shard (the rows of its batches).
    public let batch: Int
    public let steps: Int
    /// Data-parallel training: the text is cut into `batch * shards` streams and this shard reads
    /// streams `shard * batch ..< (shard + 1) * batch`, so that the shards' batches side by side are
    /// the batches of one process with `batch * shards` streams.
    public let shard: Int
    public let shards: Int
    public let order: Order

    public init(tokens: [Int], batch: Int, steps: Int, shard: Int = 0, of shards: Int = 1, order: Order = .streams) {
        precondition(batch > 0 && steps > 0, "TextStreams: expected positive batch and steps, got \(batch), \(steps)")
        precondition(shards > 0 && shard >= 0 && shard < shards, "TextStreams: shard \(shard) outside 0..<\(shards)")
        precondition(tokens.count >= Self.minimumTokens(batch: batch * shards, steps: steps, order: order),
                     "TextStreams: \(tokens.count) tokens cannot fill one batch of \(batch * shards) x \(steps) (+1)")
        if case let .shuffledChunks(buffer, _) = order { precondition(buffer > 0, "TextStreams: expected a positive shuffle buffer") }
        self.tokens = tokens
        self.batch = batch
        self.steps = steps
        self.shard = shard
        self.shards = shards
        self.order = order
    }

    /// The fewest tokens that fill one batch of `batch` rows (all shards) of `steps` steps.
    public static func minimumTokens(batch: Int, steps: Int, order: Order = .streams) -> Int {
        order == .streams ? batch * steps + 1 : batch * (steps + 1)
    }

    /// L: the tokens in each stream.
    public var streamLength: Int { (tokens.count - 1) / (batch * shards) }

    /// The chunks of T + 1 tokens (`.shuffledChunks`).
    public var chunkCount: Int { tokens.count / (steps + 1) }

    /// Batches per epoch.
    public var batchesPerEpoch: Int {
        order == .streams ? streamLength / steps : chunkCount / (batch * shards)
    }

    /// Inputs and targets `[T * B]`, time-major, of batch `k` (0-based, within epoch `epoch`, which
    /// only `.shuffledChunks` reads).
    public func batch(_ k: Int, epoch: Int = 0) -> (inputs: [Int], targets: [Int]) {
        precondition(k >= 0 && k < batchesPerEpoch, "TextStreams: batch \(k) outside 0..<\(batchesPerEpoch)")
        var inputs = [Int](repeating: 0, count: steps * batch)
        var targets = inputs
        // .shuffledChunks: this shard's part of the batch's chunks (the shards' parts side by side are one process's batch).
        let first = (k * shards + shard) * batch
        let chunks = order == .streams ? [] : Array(chunkOrder(epoch: epoch)[first..<(first + batch)])
        for t in 0..<steps {
            for b in 0..<batch {
                let position = order == .streams ? (shard * batch + b) * streamLength + k * steps + t : chunks[b] * (steps + 1) + t
                inputs[t * batch + b] = tokens[position]
                targets[t * batch + b] = tokens[position + 1]
            }
        }
        return (inputs, targets)
    }

    /// `.shuffledChunks`: every chunk's index once, in the order epoch `epoch` reads them (`.streams`:
    /// 0, 1, 2, ...). Computed anew at each call, in time proportional to the chunks.
    public func chunkOrder(epoch: Int) -> [Int] {
        guard case let .shuffledChunks(size, seed) = order else { return Array(0..<chunkCount) }
        var generator = RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        var buffer = Array(0..<min(size, chunkCount))
        var next = buffer.count
        var result: [Int] = []
        result.reserveCapacity(chunkCount)
        while !buffer.isEmpty {
            let i = generator.integer(below: buffer.count)
            result.append(buffer[i])
            if next < chunkCount {
                buffer[i] = next
                next += 1
            } else {
                buffer.swapAt(i, buffer.count - 1)
                buffer.removeLast()
            }
        }
        return result
    }
}
