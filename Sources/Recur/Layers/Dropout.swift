import RecurCore

/// Inverted dropout: in training, each element is zeroed with probability p and the survivors are
/// scaled by 1 / (1 - p), so evaluation needs no rescaling; in evaluation it is the identity.
///
/// The mask (`[count]`, values 0 or 1/(1-p)) is kept for the backward pass.
public final class Dropout<Scalar: RecurScalar> {
    public let probability: Double
    public private(set) var mask: [Scalar] = []

    public init(probability: Double) {
        precondition(probability >= 0 && probability < 1,
                     "Dropout: expected a probability in [0, 1), got \(probability)")
        self.probability = probability
    }

    /// Applies dropout in place; with `training == false` or p == 0 it does nothing.
    public func forward(_ x: inout Tensor<Scalar>, training: Bool, using generator: inout RandomGenerator) {
        guard training, probability > 0 else {
            mask = []
            return
        }
        let keep = 1 / Scalar(1 - probability)
        mask = (0..<x.count).map { _ in generator.uniform(Double.self) < probability ? 0 : keep }
        x.withUnsafeMutableBufferPointer { xb in
            for i in 0..<xb.count { xb[i] *= mask[i] }
        }
    }

    /// dL/dx = dL/dy * mask, in place (the identity when the forward pass dropped nothing).
    public func backward(_ dy: inout Tensor<Scalar>) {
        guard !mask.isEmpty else { return }
        precondition(dy.count == mask.count, "Dropout.backward: expected \(mask.count) elements, got \(dy.count)")
        dy.withUnsafeMutableBufferPointer { db in
            for i in 0..<db.count { db[i] *= mask[i] }
        }
    }
}
