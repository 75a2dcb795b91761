import RecurCore

/// Mean squared error, fused with its gradient.
///
/// Shapes: prediction and target of one shape `[..., F]`; mask (optional) one flag per row of F.
/// The loss is the mean of `(prediction - target)^2` over the unmasked elements; the gradient is
/// `2 (prediction - target) / count` there and zero elsewhere. With no unmasked element it is 0.
public enum MeanSquaredError {
    @_specialize(where Scalar == Float)
    public static func compute<Scalar: RecurScalar>(
        prediction: Tensor<Scalar>, target: Tensor<Scalar>, mask: [Bool]? = nil
    ) -> (loss: Double, gradient: Tensor<Scalar>) {
        precondition(prediction.shape == target.shape,
                     "MeanSquaredError: expected target of shape \(prediction.shape), got \(target.shape)")
        let width = prediction.shape.last ?? 1
        let rows = width == 0 ? 0 : prediction.count / width
        let counted = unmaskedCount(mask, rows: rows, in: "MeanSquaredError") * width
        var gradient = Tensor<Scalar>(shape: prediction.shape)
        guard counted > 0 else { return (0, gradient) }
        let scale = 1 / Double(counted)
        var total = 0.0
        prediction.withUnsafeBufferPointer { pb in
            target.withUnsafeBufferPointer { tb in
                gradient.withUnsafeMutableBufferPointer { gb in
                    for r in 0..<rows where mask?[r] ?? true {
                        for j in (r * width)..<((r + 1) * width) {
                            let difference = Double(pb[j]) - Double(tb[j])
                            total += difference * difference
                            gb[j] = Scalar(2 * difference * scale)
                        }
                    }
                }
            }
        }
        return (total * scale, gradient)
    }
}
