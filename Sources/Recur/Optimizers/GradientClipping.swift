import RecurCore

/// Gradient clipping against exploding gradients.
public enum GradientClipping {
    /// The L2 norm of all the parameters' gradients taken together (accumulated in Double); frozen
    /// parameters are left out.
    @_specialize(where Scalar == Float)
    public static func globalNorm<Scalar: RecurScalar>(of parameters: [Parameter<Scalar>]) -> Double {
        var sum = 0.0
        for parameter in parameters where !parameter.isFrozen {
            parameter.gradient.withUnsafeBufferPointer { g in
                for x in g { sum += Double(x) * Double(x) }
            }
        }
        return sum.squareRoot()
    }

    /// Scales all gradients by `maxNorm / (norm + 1e-6)` when that is below 1 (torch's
    /// `clip_grad_norm_`), and returns the norm before clipping. `norm`, when given, is the global
    /// norm already computed for these gradients.
    @discardableResult
    @_specialize(where Scalar == Float)
    public static func clipByGlobalNorm<Scalar: RecurScalar>(
        _ parameters: [Parameter<Scalar>], maxNorm: Double, norm knownNorm: Double? = nil
    ) -> Double {
        precondition(maxNorm > 0, "clipByGlobalNorm: expected a positive maximum norm, got \(maxNorm)")
        let norm = knownNorm ?? globalNorm(of: parameters)
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            let c = Scalar(coefficient)
            for parameter in parameters {
                parameter.gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] *= c }
                }
            }
        }
        return norm
    }

    /// Clamps every gradient element into [-limit, limit] (torch's `clip_grad_value_`).
    @_specialize(where Scalar == Float)
    public static func clipByValue<Scalar: RecurScalar>(_ parameters: [Parameter<Scalar>], limit: Double) {
        precondition(limit > 0, "clipByValue: expected a positive limit, got \(limit)")
        let l = Scalar(limit)
        for parameter in parameters {
            parameter.gradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] = min(max(g[i], -l), l) }
            }
        }
    }
}
