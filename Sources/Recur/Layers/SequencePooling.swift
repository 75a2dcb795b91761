import RecurCore

/// How a many-to-one model reduces a recurrent network's outputs over time to one vector per sequence.
public enum PoolingKind: String, Codable, CaseIterable, Sendable {
    /// Each direction's final state: the forward half at the row's last real step, the reverse half
    /// at step 0 (where the reverse direction ends). PyTorch: `cat(h_n[-2], h_n[-1])` of the top layer.
    case last
    /// The mean over the row's real steps.
    case mean
    /// The element-wise maximum over the row's real steps.
    case max
}

/// Pooling over time with per-sequence lengths: `[T, B, D*H]` -> `[B, D*H]`, reading only the steps
/// `t < lengths[b]` of row b (padding never counts, whatever it holds).
///
/// `directions` tells `last` where each half of the features ends: with 2, the first H features are
/// the forward direction's and the last H the reverse direction's (the recurrent network's layout).
public final class SequencePooling<Scalar: RecurScalar> {
    public let kind: PoolingKind
    public let directions: Int

    private var lastShape: [Int] = []
    private var lengths: [Int] = []
    /// For `max`: the step each output element was taken from, `[B, F]`.
    private var argmax: [Int] = []

    public init(_ kind: PoolingKind, directions: Int = 1) {
        precondition(directions == 1 || directions == 2, "SequencePooling: expected 1 or 2 directions, got \(directions)")
        self.kind = kind
        self.directions = directions
    }

    /// The step row b's feature j is read from under `last`.
    @inline(__always) private func lastStep(feature j: Int, features: Int, length: Int) -> Int {
        directions == 2 && j >= features / 2 ? 0 : length - 1
    }

    /// `[T, B, F]` with B lengths in 1...T -> `[B, F]`.
    @_specialize(where Scalar == Float)
    public func forward(_ x: Tensor<Scalar>, lengths: [Int]) -> Tensor<Scalar> {
        precondition(x.rank == 3, "SequencePooling: expected [T, B, F], got \(x.shape)")
        let (T, B, F) = (x.shape[0], x.shape[1], x.shape[2])
        precondition(lengths.count == B, "SequencePooling: expected \(B) lengths, got \(lengths.count)")
        precondition(lengths.allSatisfy { $0 >= 1 && $0 <= T }, "SequencePooling: expected lengths in 1...\(T), got \(lengths)")
        precondition(F % directions == 0, "SequencePooling: \(F) features do not split into \(directions) directions")
        lastShape = x.shape
        self.lengths = lengths
        var y = Tensor<Scalar>(shape: [B, F])
        argmax = kind == .max ? [Int](repeating: 0, count: B * F) : []
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                let x = xb.baseAddress!, y = yb.baseAddress!
                for b in 0..<B {
                    let n = lengths[b], row = y + b * F
                    switch kind {
                    case .last:
                        for j in 0..<F { row[j] = x[(lastStep(feature: j, features: F, length: n) * B + b) * F + j] }
                    case .mean:
                        for t in 0..<n { for j in 0..<F { row[j] += x[(t * B + b) * F + j] } }
                        let scale = 1 / Scalar(n)
                        for j in 0..<F { row[j] *= scale }
                    case .max:
                        for j in 0..<F { row[j] = x[b * F + j] }
                        for t in 1..<n {
                            for j in 0..<F where x[(t * B + b) * F + j] > row[j] {
                                row[j] = x[(t * B + b) * F + j]
                                argmax[b * F + j] = t
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// dL/dx `[T, B, F]` from dL/dy `[B, F]`; zero at every padded step.
    @_specialize(where Scalar == Float)
    public func backward(_ dy: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(lastShape.count == 3, "SequencePooling.backward: call forward first")
        let (T, B, F) = (lastShape[0], lastShape[1], lastShape[2])
        precondition(dy.shape == [B, F], "SequencePooling.backward: expected [\(B), \(F)], got \(dy.shape)")
        var dx = Tensor<Scalar>(shape: [T, B, F])
        dy.withUnsafeBufferPointer { db in
            dx.withUnsafeMutableBufferPointer { xb in
                let dy = db.baseAddress!, dx = xb.baseAddress!
                for b in 0..<B {
                    let n = lengths[b], row = dy + b * F
                    switch kind {
                    case .last:
                        for j in 0..<F { dx[(lastStep(feature: j, features: F, length: n) * B + b) * F + j] = row[j] }
                    case .mean:
                        let scale = 1 / Scalar(n)
                        for t in 0..<n { for j in 0..<F { dx[(t * B + b) * F + j] = row[j] * scale } }
                    case .max:
                        for j in 0..<F { dx[(argmax[b * F + j] * B + b) * F + j] = row[j] }
                    }
                }
            }
        }
        return dx
    }
}
