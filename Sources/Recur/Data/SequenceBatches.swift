import RecurCore

/// One mini-batch of whole sequences, padded to its longest: time-major inputs with per-row lengths.
public struct SequenceBatch: Sendable {
    /// T: the longest length in the batch.
    public var steps: Int
    /// The example indices, one per row.
    public var rows: [Int]
    public var lengths: [Int]
    /// Token ids `[T * B]`, time-major, 0 past each row's length (token input).
    public var tokens: [Int]?
    /// Features `[T, B, F]`, zero past each row's length (numeric input).
    public var features: Tensor<Float>?
    /// Class ids, one per row (-1 where the input has no label).
    public var labels: [Int]
    /// Tag ids `[T * B]`, time-major, -1 past each row's length or where a step has no tag (tagging).
    public var stepTags: [Int]?

    public var batch: Int { rows.count }

    public init(steps: Int, rows: [Int], lengths: [Int], tokens: [Int]? = nil, features: Tensor<Float>? = nil,
                labels: [Int], stepTags: [Int]? = nil) {
        self.steps = steps
        self.rows = rows
        self.lengths = lengths
        self.tokens = tokens
        self.features = features
        self.labels = labels
        self.stepTags = stepTags
    }
}

/// Encoded many-to-one examples: each a sequence of token ids or of scaled frames, with a class id.
public struct EncodedSequences: Sendable {
    public enum Inputs: Sendable {
        case tokens([[Int]])
        /// Per example, its frames flattened step-major `[length * width]`.
        case features(width: Int, [[Float]])
    }
    public var inputs: Inputs
    /// Class ids (-1 for an unlabelled example).
    public var labels: [Int]
    /// Tag ids per step (tagging; -1 for a step without a tag), or nil.
    public var tags: [[Int]]?

    public init(inputs: Inputs, labels: [Int], tags: [[Int]]? = nil) {
        self.inputs = inputs
        self.labels = labels
        self.tags = tags
    }

    public var count: Int { labels.count }

    public var lengths: [Int] {
        switch inputs {
        case let .tokens(ids): return ids.map(\.count)
        case let .features(width, frames): return frames.map { $0.count / width }
        }
    }

    /// The padded, time-major batch of the given examples.
    public func batch(_ rows: [Int]) -> SequenceBatch {
        let lengths = rows.map { self.lengths(of: $0) }
        let T = lengths.max() ?? 0, B = rows.count
        var result = SequenceBatch(steps: T, rows: rows, lengths: lengths, tokens: nil, features: nil,
                                   labels: rows.map { labels[$0] })
        if let tags {
            var flat = [Int](repeating: -1, count: T * B)
            for (b, row) in rows.enumerated() { for (t, tag) in tags[row].enumerated() { flat[t * B + b] = tag } }
            result.stepTags = flat
        }
        switch inputs {
        case let .tokens(ids):
            var flat = [Int](repeating: 0, count: T * B)
            for (b, row) in rows.enumerated() { for (t, id) in ids[row].enumerated() { flat[t * B + b] = id } }
            result.tokens = flat
        case let .features(width, frames):
            var x = Tensor<Float>(shape: [T, B, width])
            x.withUnsafeMutableBufferPointer { xb in
                for (b, row) in rows.enumerated() {
                    let source = frames[row]
                    for t in 0..<(source.count / width) {
                        for j in 0..<width { xb[(t * B + b) * width + j] = source[t * width + j] }
                    }
                }
            }
            result.features = x
        }
        return result
    }

    private func lengths(of row: Int) -> Int {
        switch inputs {
        case let .tokens(ids): return ids[row].count
        case let .features(width, frames): return frames[row].count / width
        }
    }
}

/// The order in which a training set is visited: each epoch a seeded shuffle, cut into buckets of
/// similar lengths (so that batches carry little padding), batched, and the batches shuffled. The
/// batches of epoch e depend only on the seed and e, so a resumed run needs nothing but its step.
public final class SequenceBatches {
    public let lengths: [Int]
    public let batchSize: Int
    public let seed: UInt64
    /// How many batches share one length-sorted bucket.
    public let bucketBatches: Int
    /// The last epoch's batches, kept while its steps run.
    private var cached: (epoch: Int, batches: [[Int]])?

    public init(lengths: [Int], batchSize: Int, seed: UInt64, bucketBatches: Int = 50) {
        precondition(!lengths.isEmpty && batchSize > 0, "SequenceBatches: expected examples and a positive batch size")
        self.lengths = lengths
        self.batchSize = batchSize
        self.seed = seed
        self.bucketBatches = bucketBatches
    }

    public var batchesPerEpoch: Int { (lengths.count + batchSize - 1) / batchSize }

    /// Data-parallel training: this process is shard `shard` of `shards`, and `shardRows` gives it its
    /// part of each batch (`batchSize` is then the batch of all shards together).
    public var shard = 0
    public var shards = 1

    /// This shard's part of the batch of step `step`: the batch's rows cut into `shards` nearly equal
    /// consecutive parts (empty when the batch has fewer rows than shards).
    public func shardRows(step: Int) -> [Int] {
        let all = rows(step: step)
        guard shards > 1 else { return all }
        return Array(all[(all.count * shard / shards)..<(all.count * (shard + 1) / shards)])
    }

    /// The example indices of the batch that global step `step` (from 0) trains on.
    public func rows(step: Int) -> [Int] {
        let epoch = step / batchesPerEpoch
        if cached?.epoch != epoch { cached = (epoch, batches(epoch: epoch)) }
        return cached!.batches[step % batchesPerEpoch]
    }

    /// The example indices of every batch of `epoch`, in training order.
    public func batches(epoch: Int) -> [[Int]] {
        var generator = RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        var order = Array(lengths.indices)
        generator.shuffle(&order)
        var batches: [[Int]] = []
        let bucket = batchSize * bucketBatches
        for start in stride(from: 0, to: order.count, by: bucket) {
            let sorted = order[start..<min(start + bucket, order.count)].sorted { lengths[$0] < lengths[$1] }
            for s in stride(from: 0, to: sorted.count, by: batchSize) {
                batches.append(Array(sorted[s..<min(s + batchSize, sorted.count)]))
            }
        }
        generator.shuffle(&batches)
        return batches
    }

    /// The batches of a pass in file order, without shuffling (evaluation): buckets of similar lengths.
    public static func inOrder(lengths: [Int], batchSize: Int) -> [[Int]] {
        let sorted = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] < lengths[$1] : $0 < $1 }
        return stride(from: 0, to: sorted.count, by: batchSize).map { Array(sorted[$0..<min($0 + batchSize, sorted.count)]) }
    }
}
