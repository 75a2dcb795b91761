import RecurCore

/// A fully connected layer applied independently at every position: `y = x W^T + b`.
///
/// Shapes: `x [..., I]` -> `y [..., O]`; all leading dimensions (for a sequence, T and B) are
/// flattened into N rows, so the whole sequence is one GEMM. `weight [O, I]`, `bias [O]` (PyTorch's).
/// The forward pass keeps a reference to `x` (no copy) for the backward pass.
public final class Linear<Scalar: RecurScalar>: Module {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?
    public var engine: GEMMEngine = .fast

    private var input: Tensor<Scalar>?

    /// Initialised as PyTorch's nn.Linear: weight and bias uniform in ±1/sqrt(I).
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0,
                     "Linear: expected positive sizes, got inputSize \(inputSize), outputSize \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let bound = 1 / Scalar(inputSize).squareRoot()
        weight = Parameter(Initializer.uniform(shape: [outputSize, inputSize], bound: bound, using: &generator))
        self.bias = bias ? Parameter(Initializer.uniform(shape: [outputSize], bound: bound, using: &generator)) : nil
    }

    /// Initialised by a scheme: `.pytorch` as above; `.keras` as Keras' Dense (glorot-uniform weight,
    /// zero bias; drawn after PyTorch's draws, so both schemes consume the generator alike).
    public convenience init(inputSize: Int, outputSize: Int, initialization: WeightInitialization,
                            using generator: inout RandomGenerator) {
        self.init(inputSize: inputSize, outputSize: outputSize, using: &generator)
        if initialization.isKeras {
            weight.value = Initializer.glorotUniform(shape: weight.shape, using: &generator)
            bias?.value.zero()
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `[..., I] -> [..., O]`, keeping `x` for `backward(_:)`.
    public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        input = x
        return apply(x)
    }

    /// `[..., I] -> [..., O]`, keeping nothing: for a layer applied several times in one pass (a decoder
    /// step), whose backward steps then give their inputs to `backward(_:input:)`.
    @_specialize(where Scalar == Float)
    public func apply(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.shape.last == inputSize, "Linear: expected input [..., \(inputSize)], got \(x.shape)")
        let rows = x.count / inputSize
        // Every row is the bias then the product added, or the product alone (beta 0): no zero fill.
        var y = Tensor<Scalar>(uninitializedShape: Array(x.shape.dropLast()) + [outputSize])
        y.withUnsafeMutableBufferPointer { yb in
            if let bias {
                bias.value.withUnsafeBufferPointer { bb in
                    for r in 0..<rows { (yb.baseAddress! + r * outputSize).update(from: bb.baseAddress!, count: outputSize) }
                }
            }
            x.withUnsafeBufferPointer { xb in
                weight.value.withUnsafeBufferPointer { wb in
                    gemm(engine: engine, transB: true, m: rows, n: outputSize, k: inputSize,
                         a: xb.baseAddress!, lda: inputSize, b: wb.baseAddress!, ldb: inputSize,
                         beta: bias == nil ? 0 : 1, c: yb.baseAddress!, ldc: outputSize)
                }
            }
        }
        return y
    }

    /// Accumulates dL/dW and dL/db from `dy [..., O]` and returns dL/dx `[..., I]`, for the last `forward`.
    public func backward(_ dy: Tensor<Scalar>) -> Tensor<Scalar> {
        guard let input else { preconditionFailure("Linear.backward: call forward first") }
        return backward(dy, input: input)
    }

    /// Accumulates dL/dW and dL/db from `dy [..., O]` for an application to `input`, and returns dL/dx.
    @_specialize(where Scalar == Float)
    public func backward(_ dy: Tensor<Scalar>, input: Tensor<Scalar>) -> Tensor<Scalar> {
        let rows = input.count / inputSize
        precondition(dy.shape == Array(input.shape.dropLast()) + [outputSize],
                     "Linear.backward: expected gradient \(Array(input.shape.dropLast()) + [outputSize]), got \(dy.shape)")
        var dx = Tensor<Scalar>(uninitializedShape: input.shape)  // written whole by the product below (beta 0)
        dy.withUnsafeBufferPointer { dyb in
            input.withUnsafeBufferPointer { xb in
                weight.gradient.withUnsafeMutableBufferPointer { dwb in
                    // dW[O, I] += dY^T[O, N] X[N, I]
                    gemm(engine: engine, transA: true, m: outputSize, n: inputSize, k: rows,
                         a: dyb.baseAddress!, lda: outputSize, b: xb.baseAddress!, ldb: inputSize,
                         beta: 1, c: dwb.baseAddress!, ldc: inputSize)
                }
            }
            if let bias {
                bias.gradient.withUnsafeMutableBufferPointer { dbb in
                    addColumnSums(of: dyb.baseAddress!, rows: rows, columns: outputSize, into: dbb.baseAddress!)
                }
            }
            weight.value.withUnsafeBufferPointer { wb in
                dx.withUnsafeMutableBufferPointer { dxb in
                    // dX[N, I] = dY[N, O] W[O, I]
                    gemm(engine: engine, m: rows, n: inputSize, k: outputSize,
                         a: dyb.baseAddress!, lda: outputSize, b: wb.baseAddress!, ldb: inputSize,
                         c: dxb.baseAddress!, ldc: inputSize)
                }
            }
        }
        return dx
    }
}

/// `sums[j] += sum over r of m[r, j]` for a row-major `[rows, columns]` matrix: a bias gradient.
@inlinable
func addColumnSums<Scalar: RecurScalar>(
    of m: UnsafePointer<Scalar>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Scalar>
) {
    // Each thread sums its own blocks of columns over all rows, in row order: the result does not
    // depend on the thread count.
    ComputeThreads.forEachBlockShare(count: columns, block: 8, minimumBlocks: rows * columns >= 1 << 16 ? 4 : columns) { share in
        for r in 0..<rows {
            let row = m + r * columns
            for j in share { sums[j] += row[j] }
        }
    }
}
