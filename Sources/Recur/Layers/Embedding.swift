import RecurCore

/// A table lookup that maps token ids to dense vectors: the product of a one-hot vector with a matrix,
/// done without forming the one-hot vector.
///
/// Shapes: ids `[...]` (for a sequence `[T, B]`) -> `[..., E]`. `weight [V, E]` (PyTorch's
/// `embedding.weight`). The backward pass scatters dL/dy rows into the rows of dL/dW that were used.
public final class Embedding<Scalar: RecurScalar>: Module {
    public let vocabularySize: Int
    public let embeddingSize: Int
    public let weight: Parameter<Scalar>

    private var ids: [Int] = []

    /// `.pytorch` draws normal(0, 1) as nn.Embedding does; the Keras schemes uniform ±0.05.
    public init(
        vocabularySize: Int, embeddingSize: Int,
        initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator
    ) {
        precondition(vocabularySize > 0 && embeddingSize > 0,
                     "Embedding: expected positive sizes, got vocabulary \(vocabularySize), embedding \(embeddingSize)")
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        let shape = [vocabularySize, embeddingSize]
        weight = initialization.isKeras ? Parameter(Initializer.uniform(shape: shape, bound: Scalar(0.05), using: &generator))
            : Parameter(Initializer.normal(shape: shape, using: &generator))
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }

    /// Looks up `ids` (row-major, of the given shape) and returns `[shape..., E]`.
    @_specialize(where Scalar == Float)
    public func forward(_ ids: [Int], shape: [Int]) -> Tensor<Scalar> {
        checkIDs(ids, count: Tensor<Scalar>.elementCount(of: shape))
        self.ids = ids
        let e = embeddingSize
        var y = Tensor<Scalar>(shape: shape + [e])
        y.withUnsafeMutableBufferPointer { yb in
            weight.value.withUnsafeBufferPointer { wb in
                for (position, id) in ids.enumerated() {
                    (yb.baseAddress! + position * e).update(from: wb.baseAddress! + id * e, count: e)
                }
            }
        }
        return y
    }

    /// Traps unless there are `count` ids, each in `0..<V`.
    func checkIDs(_ ids: [Int], count: Int) {
        precondition(ids.count == count, "Embedding: expected \(count) ids, got \(ids.count)")
        for (position, id) in ids.enumerated() {
            precondition(id >= 0 && id < vocabularySize,
                         "Embedding: expected ids in 0..<\(vocabularySize), got \(id) at position \(position)")
        }
    }

    /// Accumulates dL/dW from `dy [..., E]`. Token ids have no gradient.
    @_specialize(where Scalar == Float)
    public func backward(_ dy: Tensor<Scalar>) {
        precondition(dy.count == ids.count * embeddingSize && dy.shape.last == embeddingSize,
                     "Embedding.backward: expected \(ids.count) rows of \(embeddingSize), got \(dy.shape)")
        let e = embeddingSize
        dy.withUnsafeBufferPointer { dyb in
            weight.gradient.withUnsafeMutableBufferPointer { dwb in
                for (position, id) in ids.enumerated() {
                    let src = dyb.baseAddress! + position * e
                    let dst = dwb.baseAddress! + id * e
                    for j in 0..<e { dst[j] += src[j] }
                }
            }
        }
    }

    /// Accumulates dL/dW given whole, `[V, E]`: the input gradient of a network that read this table by
    /// id (`RecurrentNetwork.forward(tokens:steps:batch:embedding:)`).
    public func accumulate(weightGradient dw: Tensor<Scalar>) {
        precondition(dw.shape == weight.shape, "Embedding: expected a gradient of shape \(weight.shape), got \(dw.shape)")
        dw.withUnsafeBufferPointer { source in
            weight.gradient.withUnsafeMutableBufferPointer { target in
                for i in 0..<target.count { target[i] += source[i] }
            }
        }
    }
}
