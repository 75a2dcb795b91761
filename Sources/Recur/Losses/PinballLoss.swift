import RecurCore

/// The pinball (quantile) loss, fused with its gradient, and the mean absolute error, its q = 0.5 case
/// doubled.
///
/// Shapes: prediction `[R, Q]` flattened (one output per quantile, quantiles innermost) and target
/// `[R]`. For the error `e = y - p` at quantile q the loss is `max(q e, (q - 1) e)`, averaged over the
/// R*Q outputs; its gradient with respect to p is `-q` where `e > 0`, `1 - q` where `e < 0` and 0 at
/// `e = 0` (the subgradient PyTorch's formulations give there), divided by R*Q.
public enum PinballLoss {
    @_specialize(where Scalar == Float)
    public static func compute<Scalar: RecurScalar>(prediction: [Scalar], target: [Scalar], quantiles: [Double]) -> (loss: Double, gradient: [Scalar]) {
        let Q = quantiles.count, R = target.count
        precondition(Q > 0 && prediction.count == R * Q, "PinballLoss: expected \(R) x \(Q) predictions, got \(prediction.count)")
        guard R > 0 else { return (0, []) }
        var gradient = [Scalar](repeating: 0, count: prediction.count)
        let scale = 1 / Double(R * Q)
        var total = 0.0
        for r in 0..<R {
            for (k, q) in quantiles.enumerated() {
                let e = Double(target[r]) - Double(prediction[r * Q + k])
                total += e >= 0 ? q * e : (q - 1) * e
                gradient[r * Q + k] = e > 0 ? Scalar(-q * scale) : (e < 0 ? Scalar((1 - q) * scale) : 0)
            }
        }
        return (total * scale, gradient)
    }

    /// Mean absolute error of prediction `[R]` against target `[R]`: twice the q = 0.5 pinball loss.
    public static func meanAbsoluteError<Scalar: RecurScalar>(prediction: [Scalar], target: [Scalar]) -> (loss: Double, gradient: [Scalar]) {
        let (loss, gradient) = compute(prediction: prediction, target: target, quantiles: [0.5])
        return (2 * loss, gradient.map { 2 * $0 })
    }
}
