import RecurCore

/// Weight-initialisation schemes by name.
///
/// - `pytorch`: PyTorch's defaults. Recurrent weights and biases uniform in ±1/sqrt(H); Linear
///   weights and biases uniform in ±1/sqrt(fan_in); Embedding normal(0, 1).
/// - `keras`: Keras' defaults. Input weights glorot-uniform (±sqrt(6 / (fan_in + fan_out)) over the
///   whole `[G*H, I]` kernel), recurrent weights orthogonal, biases zero with the LSTM forget-gate
///   bias 1 (`unit_forget_bias`); Dense glorot-uniform with zero bias; Embedding uniform ±0.05.
/// - `kerasGlorot` (`keras-glorot`): as `keras`, but the recurrent weights glorot-uniform too (over the
///   whole `[G*H, H]` recurrent kernel: ±sqrt(6 / (H + G*H))), as the seed article's Keras code sets
///   them (`recurrent_initializer='glorot_uniform'`).
public enum WeightInitialization: String, Sendable, CaseIterable, Codable {
    case pytorch
    case keras
    case kerasGlorot = "keras-glorot"

    /// Whether Keras's layer defaults apply (Dense, Embedding, biases).
    public var isKeras: Bool { self != .pytorch }
}

/// Random tensors of the kinds the schemes need.
public enum Initializer {
    /// Uniform in [-bound, bound).
    public static func uniform<Scalar: RecurScalar>(
        shape: [Int], bound: Scalar, using generator: inout RandomGenerator
    ) -> Tensor<Scalar> {
        let count = Tensor<Scalar>.elementCount(of: shape)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in generator.uniform(in: -bound, bound) })
    }

    /// Normal with mean 0 and the given standard deviation.
    public static func normal<Scalar: RecurScalar>(
        shape: [Int], standardDeviation: Scalar = 1, using generator: inout RandomGenerator
    ) -> Tensor<Scalar> {
        let count = Tensor<Scalar>.elementCount(of: shape)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in standardDeviation * generator.normal() })
    }

    /// Glorot (Xavier) uniform for a `[fanOut, fanIn]` weight.
    public static func glorotUniform<Scalar: RecurScalar>(
        shape: [Int], using generator: inout RandomGenerator
    ) -> Tensor<Scalar> {
        precondition(shape.count == 2, "glorotUniform: expected a matrix shape, got \(shape)")
        let bound = Scalar((6 / Double(shape[0] + shape[1])).squareRoot())
        return uniform(shape: shape, bound: bound, using: &generator)
    }

    /// A `[rows, columns]` matrix whose columns (if rows >= columns) or rows (otherwise) are
    /// orthonormal: the Q of a QR decomposition of a standard normal matrix, signs fixed so that R's
    /// diagonal is positive (Keras' `Orthogonal`, transposed into PyTorch's layout).
    public static func orthogonal<Scalar: RecurScalar>(
        shape: [Int], using generator: inout RandomGenerator
    ) -> Tensor<Scalar> {
        precondition(shape.count == 2, "orthogonal: expected a matrix shape, got \(shape)")
        let rows = shape[0], columns = shape[1]
        let long = max(rows, columns), short = min(rows, columns)
        // `short` vectors of length `long`, orthonormalised by modified Gram-Schmidt (in Double).
        var q = (0..<(short * long)).map { _ in generator.normal(Double.self) }
        q.withUnsafeMutableBufferPointer { v in
            let base = v.baseAddress!
            for j in 0..<short {
                let vj = base + j * long
                for i in 0..<j {
                    let vi = base + i * long
                    var dot = 0.0
                    for p in 0..<long { dot += vi[p] * vj[p] }
                    for p in 0..<long { vj[p] -= dot * vi[p] }
                }
                var norm = 0.0
                for p in 0..<long { norm += vj[p] * vj[p] }
                norm = norm.squareRoot()
                precondition(norm > 0, "orthogonal: degenerate random matrix")
                for p in 0..<long { vj[p] /= norm }
            }
        }
        // Vector j becomes column j when rows >= columns, row j otherwise.
        var out = [Scalar](repeating: 0, count: rows * columns)
        for j in 0..<short {
            for p in 0..<long {
                let value = Scalar(q[j * long + p])
                if rows >= columns { out[p * columns + j] = value } else { out[j * columns + p] = value }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }
}
